package pipeline

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The pipeline settings: pipelines (create, rename, make default, delete)
// and their stages (add, rename, probability, kind, reorder by drag or by
// buttons, delete with a choice of where their deals go).

const settingsPath = "/settings/pipelines"

func (s *Service) registerSettingsPages(mux *http.ServeMux) {
	in := s.orgs.InOrg
	mux.HandleFunc("GET "+settingsPath, in(org.OrgRead, s.settingsPage))
	mux.HandleFunc("POST "+settingsPath, in(org.OrgWrite, s.createPipelineSubmit))
	mux.HandleFunc("POST "+settingsPath+"/{id}", in(org.OrgWrite, s.updatePipelineSubmit))
	mux.HandleFunc("POST "+settingsPath+"/{id}/delete", in(org.OrgWrite, s.deletePipelineSubmit))
	mux.HandleFunc("POST "+settingsPath+"/{id}/stages", in(org.OrgWrite, s.createStageSubmit))
	mux.HandleFunc("POST "+settingsPath+"/{id}/order", in(org.OrgWrite, s.orderSubmit))
	mux.HandleFunc("POST /settings/stages/{id}", in(org.OrgWrite, s.updateStageSubmit))
	mux.HandleFunc("POST /settings/stages/{id}/delete", in(org.OrgWrite, s.deleteStageSubmit))
}

// settingsView is the pipeline settings page.
type settingsView struct {
	Pipelines []Pipeline
	Pipeline  Pipeline
	Counts    map[string]int64 // deals per stage
	CanWrite  bool
	Errors    web.FormErrors
}

func (v settingsView) here() string { return settingsPath + "?pipeline=" + v.Pipeline.ID }

func (s *Service) settingsPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderSettings(w, r, c, http.StatusOK, r.URL.Query().Get("pipeline"), web.FormErrors{})
}

func (s *Service) renderSettings(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, pipelineID string, errs web.FormErrors) {
	ctx := r.Context()
	pipelines, err := s.Pipelines(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v := settingsView{Pipelines: pipelines, CanWrite: c.Can(org.OrgWrite), Errors: errs, Counts: map[string]int64{}}
	for _, p := range pipelines {
		if p.ID == pipelineID || (pipelineID == "" && p.IsDefault) {
			v.Pipeline = p
		}
	}
	if v.Pipeline.ID == "" && len(pipelines) > 0 {
		v.Pipeline = pipelines[0]
	}
	if len(v.Pipeline.Stages) > 0 {
		ids := make([]string, len(v.Pipeline.Stages))
		for i, st := range v.Pipeline.Stages {
			ids[i] = st.ID
		}
		var totals []stageTotal
		if err := sumTotals(s.db.Read.NewSelect(), ids).Scan(ctx, &totals); err != nil {
			web.ServerError(w, r, s.log, err)
			return
		}
		for _, t := range totals {
			v.Counts[t.StageID] += t.Deals
		}
	}
	p := c.Page("Pipelines · Settings", "settings")
	p.Scripts = []string{web.AssetSortable, web.AssetBoard}
	s.orgs.Render(w, r, status, settingsPage(p, v))
}

// settingsFailed shows a refused settings form on the page, with its message.
func (s *Service) settingsFailed(w http.ResponseWriter, r *http.Request, c *org.WebCtx, pipelineID string, err error) {
	var errs web.FormErrors
	if !s.orgs.FormErrors(w, r, err, &errs, nil) {
		return
	}
	if errs.Status == http.StatusNotFound {
		s.orgs.NotFound(w, r, c)
		return
	}
	if errs.Message == "" {
		for _, m := range errs.Fields {
			errs.Message = m
		}
	}
	s.renderSettings(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), pipelineID, errs)
}

func (s *Service) createPipelineSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	name := r.PostFormValue("name")
	p, err := s.CreatePipeline(r.Context(), c.Actor, PipelineInput{Name: &name})
	if err != nil {
		s.settingsFailed(w, r, c, "", err)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+p.ID, "Pipeline "+p.Name+" added with the default stages.")
}

func (s *Service) updatePipelineSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	id := r.PathValue("id")
	in := PipelineInput{}
	r.ParseForm()
	if r.PostForm.Has("name") {
		in.Name = ptr(r.PostFormValue("name"))
	}
	if r.PostFormValue("is_default") == "true" {
		in.IsDefault = ptr(true)
	}
	if _, err := s.UpdatePipeline(r.Context(), c.Actor, id, in); err != nil {
		s.settingsFailed(w, r, c, id, err)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+id, "Saved.")
}

func (s *Service) deletePipelineSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	id := r.PathValue("id")
	if err := s.DeletePipeline(r.Context(), c.Actor, id); err != nil {
		s.settingsFailed(w, r, c, id, err)
		return
	}
	org.Done(w, r, settingsPath, "The pipeline was deleted.")
}

// stageForm reads a stage's form.
func stageForm(r *http.Request) (StageInput, error) {
	in := StageInput{}
	if r.PostForm.Has("name") {
		in.Name = ptr(r.PostFormValue("name"))
	}
	if v := strings.TrimSpace(r.PostFormValue("probability")); v != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
		if err != nil {
			return in, invalidField("probability", "Probability is a whole percentage from 0 to 100.")
		}
		in.Probability = &n
	}
	if v := r.PostFormValue("kind"); v != "" {
		in.Kind = &v
	}
	if v := r.PostFormValue("position"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return in, invalidField("position", "Not a place in the pipeline.")
		}
		in.Position = &n
	}
	return in, nil
}

func (s *Service) createStageSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	id := r.PathValue("id")
	r.ParseForm()
	in, err := stageForm(r)
	if err == nil {
		_, err = s.CreateStage(r.Context(), c.Actor, id, in)
	}
	if err != nil {
		s.settingsFailed(w, r, c, id, err)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+id, "Stage added.")
}

func (s *Service) updateStageSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	r.ParseForm()
	pipelineID := r.PostFormValue("pipeline_id")
	in, err := stageForm(r)
	if err == nil {
		_, err = s.UpdateStage(r.Context(), c.Actor, r.PathValue("id"), in)
	}
	if err != nil {
		s.settingsFailed(w, r, c, pipelineID, err)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+pipelineID, "Stage saved.")
}

func (s *Service) deleteStageSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	pipelineID := r.PostFormValue("pipeline_id")
	if err := s.DeleteStage(r.Context(), c.Actor, r.PathValue("id"), r.PostFormValue("move_to")); err != nil {
		s.settingsFailed(w, r, c, pipelineID, err)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+pipelineID, "Stage deleted.")
}

// orderSubmit saves the order of stages after a drag (from board.js, or
// a plain form post).
func (s *Service) orderSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	id := r.PathValue("id")
	r.ParseForm()
	script := r.Header.Get("Accept") == "application/json"
	if _, err := s.ReorderStages(r.Context(), c.Actor, id, r.PostForm["stage_id"]); err != nil {
		if script {
			// The page reloads and shows why.
			fe, _ := web.ProblemErrors(err, nil)
			web.SetFlash(w, r, web.ToastError, orText(fe.Message, "The new order could not be saved."))
			w.WriteHeader(fe.StatusOr(http.StatusUnprocessableEntity))
			return
		}
		s.settingsFailed(w, r, c, id, err)
		return
	}
	if script {
		web.SetFlash(w, r, web.ToastSuccess, "Stage order saved.")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	org.Done(w, r, settingsPath+"?pipeline="+id, "Stage order saved.")
}
