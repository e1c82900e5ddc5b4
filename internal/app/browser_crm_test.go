package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// A salesperson works with contacts in a real browser: adds one through
// the form, finds it in the list, filters by tag (the URL follows), scrolls
// to load more, tags two rows at once, edits a field in place, writes a
// note with a link and deletes after confirming.
func TestBrowserCRMContacts(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("seller@example.com", "Sellers")
		c := api.as(acc.Access, acc.OrgID)
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Bob", "last_name": "Brown"})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Cy", "last_name": "Cole"})
		for i := range 52 {
			c.must(201, "POST", "/contacts", map[string]any{"first_name": "Filler", "last_name": fmt.Sprintf("Z%02d", i)})
		}

		ui := newUITab(t, a)
		ui.signIn("seller@example.com", testPassword, "/")

		// Create through the form.
		ui.open("/contacts")
		ui.click(".page-header a[href='/contacts/new']")
		ui.waitPage("/contacts/new")
		ui.fill("#first_name", "Ann")
		ui.fill("#last_name", "Lee")
		ui.fill("#email", "ann@example.com")
		ui.fill("#tags", "VIP")
		ui.click("#record-form button[type=submit]")
		ui.waitFor("the new contact's page", `document.querySelector("h1") && document.querySelector("h1").textContent === "Ann Lee"`)
		ui.toastSays("The contact was added.")
		annPath := ui.eval("location.pathname")

		// The list: 50 rows, and scrolling to the end loads the rest.
		ui.open("/contacts?sort=name")
		ui.mustSee("#records", "Ann Lee", "Bob Brown", "Cy Cole")
		ui.eval(`document.querySelector("#list-more").scrollIntoView()`)
		ui.waitFor("the next rows", `document.querySelectorAll("#records tbody tr[data-id]").length === 55`)
		if ui.eval(`!!document.querySelector("#list-more")`) != "false" {
			t.Error("the load-more row stays after the last page")
		}

		// Filter by tag through the form: the filter lands in the URL.
		ui.fill("#filter-tag", "VIP")
		ui.click("form.list-filters button[type=submit]")
		ui.waitFor("the filtered list", `location.search.includes("tag=VIP") && document.querySelectorAll("#records tbody tr[data-id]").length === 1`)
		ui.mustSee("#records", "Ann Lee")

		// Select two rows and tag them at once.
		ui.open("/contacts?sort=name")
		ui.click(`input[aria-label="Select Bob Brown"]`)
		ui.click(`input[aria-label="Select Cy Cole"]`)
		ui.waitFor("the selection count", `document.querySelector("[data-bulk-count]").textContent.trim() === "2 contacts selected"`)
		if ui.eval(`document.querySelector("[data-select-all]").indeterminate`) != "true" {
			t.Error("select-all is not shown as partly selected")
		}
		ui.fill("#bulk-tag", "hot")
		ui.click(`#bulk-form button[value=tag]`)
		ui.toastSays("Tagged 2 contacts with “hot”.")
		ui.open("/contacts?tag=hot&sort=name")
		ui.waitFor("the tagged rows", `[...document.querySelectorAll("#records tbody th")].map(th => th.textContent.trim()).join(",") === "Bob Brown,Cy Cole"`)

		// Edit a field in place on the detail page.
		ui.open(annPath)
		ui.fill("#edit-title", "CTO")
		ui.click("#field-title button[type=submit]")
		ui.toastSays("Saved.")
		ui.waitFor("the saved title", `document.querySelector("#edit-title").value === "CTO"`)
		ui.mustSee("#activity", "Job title: — → CTO")

		// A note with a link.
		// An empty text area has nothing to clear: type straight into it.
		ui.do(chromedp.WaitVisible(chromedp.CSS("#note-body")), chromedp.SendKeys(chromedp.CSS("#note-body"), "Spec is at https://example.com/spec, see page 2"))
		ui.click("#note-form button[type=submit]")
		ui.toastSays("Note added.")
		ui.waitFor("the linked note", `document.querySelector("#notes .note-body a[href='https://example.com/spec']")`)
		if got := ui.text("#notes .note-body"); got != "Spec is at https://example.com/spec, see page 2" {
			t.Errorf("note reads %q", got)
		}

		// Delete asks first; cancelling keeps the contact.
		ui.click("#delete-record button")
		ui.waitFor("the confirmation", `document.querySelector("#kite-confirm[open]")`)
		ui.click("#kite-confirm .btn-secondary")
		ui.waitFor("the dialog to close", `!document.querySelector("#kite-confirm[open]")`)
		if ui.eval("location.pathname") != annPath {
			t.Fatal("cancelling the confirmation still deleted")
		}
		ui.click("#delete-record button")
		// The dialog slides in; a click during the animation could miss its button.
		ui.waitFor("the confirmation", `document.querySelector("#kite-confirm[open]") && document.getAnimations().length === 0`)
		ui.click("#kite-confirm .btn-danger")
		waitSlow(ui, "the list after deleting", `location.pathname === "/contacts" && document.readyState === "complete"`)
		ui.toastSays("The contact was deleted.")
		if strings.Contains(ui.text("#records"), "Ann Lee") {
			t.Error("the deleted contact is still listed")
		}
		ui.noPageErrors()
	})
}

// waitSlow is uiTab.waitFor with room for a machine busy with other tests.
func waitSlow(u *uiTab, what, js string) {
	u.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for u.eval("!!("+js+")") != "true" {
		if time.Now().After(deadline) {
			u.t.Fatalf("timed out waiting for %s; the page is %s", what, u.eval("location.href"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
