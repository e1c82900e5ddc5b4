package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/realtime"
)

// Realtime topics: "org.<id>" carries every event of an organization;
// narrower topics ("org.<id>.chat.<id>") are subscribed on demand;
// "revoke.<org>.<user>" closes a member's sockets when they leave.

func orgTopic(orgID string) string { return "org." + orgID }

func revokeTopic(orgID, userID string) string { return "revoke." + orgID + "." + userID }

// maxReplay bounds what a reconnecting socket is sent from the event log.
const maxReplay = 500

// realtimeGate authorizes a socket: the caller's own org's events only
// (org from X-Org-ID or ?org_id=), with a replay from ?since=.
func (a *App) realtimeGate(r *http.Request) (realtime.Access, error) {
	orgID := r.Header.Get(org.OrgHeader)
	if orgID == "" {
		orgID = r.URL.Query().Get("org_id")
	}
	actor, err := a.Orgs.Resolve(r, orgID, false)
	if err != nil {
		return realtime.Access{}, err
	}
	if !actor.Role.Can(org.OrgRead) {
		return realtime.Access{}, realtime.ErrNoAccess
	}
	topic := orgTopic(actor.OrgID)
	access := realtime.Access{
		Topics: []string{topic},
		Allow:  func(t string) bool { return strings.HasPrefix(t, topic+".") },
	}
	if actor.UserID != "" {
		access.Revoke = revokeTopic(actor.OrgID, actor.UserID)
		access.Actions, access.Closed = a.teamActions(actor)
	}
	if since := r.URL.Query().Get("since"); since != "" {
		access.Replay = func(ctx context.Context) ([][]byte, error) {
			missed, err := a.Events.Since(ctx, actor.OrgID, since, maxReplay)
			frames := make([][]byte, len(missed))
			for i, ev := range missed {
				frames[i] = eventFrame(ev)
			}
			return frames, err
		}
	}
	return access, nil
}

func eventFrame(ev events.Event) []byte {
	b, _ := json.Marshal(realtime.Message{Topic: orgTopic(ev.OrgID), Type: ev.Type, ID: ev.ID, Subject: ev.SubjectID, Data: ev.Payload})
	return b
}

// publishEvent pushes every org event to the org's sockets, on every
// replica, right after its transaction commits. A lost publish is found
// again by the socket's ?since= replay.
func (a *App) publishEvent(ctx context.Context, ev events.Event) {
	if err := a.Hub.Publish(ctx, realtime.Message{Topic: orgTopic(ev.OrgID), Type: ev.Type, ID: ev.ID, Subject: ev.SubjectID, Data: ev.Payload}); err != nil {
		a.log.Warn("could not push an event to sockets", "org", ev.OrgID, "event", ev.ID, "type", ev.Type, "err", err)
	}
}

// revokeRealtime closes a removed member's sockets in that org, on every replica.
func (a *App) revokeRealtime(orgID, userID string) {
	if err := a.Hub.Publish(context.Background(), realtime.Message{Topic: revokeTopic(orgID, userID), Type: "access.revoked"}); err != nil {
		a.log.Warn("could not close a removed member's sockets", "org", orgID, "user", userID, "err", err)
	}
}
