package org

import (
	"net/http"

	"github.com/kite-crm/kite/internal/web"
)

type orgSettingsView struct {
	Org                      Organization
	Name, Currency, Timezone string
	CanEdit                  bool
	Errors                   web.FormErrors
	Currencies               []web.Option
	Timezones                []string
}

func (s *Service) orgSettingsView(c *WebCtx, o Organization) orgSettingsView {
	v := orgSettingsView{Org: o, Name: o.Name, Currency: o.DefaultCurrency, Timezone: o.Timezone, CanEdit: c.Can(OrgWrite), Timezones: commonTimezones}
	for _, code := range Currencies() {
		v.Currencies = append(v.Currencies, web.Option{Value: code, Label: code})
	}
	return v
}

func (s *Service) orgSettingsPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	o, err := s.Get(r.Context(), c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.Render(w, r, http.StatusOK, orgSettingsPage(c.Page("Organization settings", "settings"), c, s.orgSettingsView(c, o)))
}

func (s *Service) orgSettingsSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	name, currency, tz := r.PostFormValue("name"), r.PostFormValue("default_currency"), r.PostFormValue("timezone")
	_, err := s.Update(r.Context(), c.Actor, Settings{Name: &name, DefaultCurrency: &currency, Timezone: &tz})
	if err == nil {
		Done(w, r, "/settings/organization", "Settings saved.")
		return
	}
	o, gerr := s.Get(r.Context(), c.Org.ID)
	if gerr != nil {
		web.ServerError(w, r, s.log, gerr)
		return
	}
	v := s.orgSettingsView(c, o)
	v.Name, v.Currency, v.Timezone = name, currency, tz
	if !s.FormErrors(w, r, err, &v.Errors, nil) {
		return
	}
	s.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), orgSettingsPage(c.Page("Organization settings", "settings"), c, v))
}

// commonTimezones are suggestions for the time zone field; any IANA name
// is accepted.
var commonTimezones = []string{
	"UTC",
	"Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"America/Anchorage", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Chicago", "America/Denver",
	"America/Halifax", "America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix",
	"America/Santiago", "America/Sao_Paulo", "America/Toronto", "America/Vancouver",
	"Asia/Almaty", "Asia/Bangkok", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Karachi",
	"Asia/Kolkata", "Asia/Manila", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Tashkent", "Asia/Tbilisi",
	"Asia/Tokyo", "Asia/Yerevan",
	"Atlantic/Reykjavik",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Melbourne", "Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Belgrade", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest",
	"Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon", "Europe/London",
	"Europe/Madrid", "Europe/Minsk", "Europe/Moscow", "Europe/Paris", "Europe/Prague", "Europe/Rome",
	"Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw", "Europe/Zurich",
	"Pacific/Auckland", "Pacific/Honolulu",
}
