package app

import (
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// likeAKeyboard sends a key down as a physical keyboard does (a raw key
// down, then the character), so a page that handles the key down keeps the
// character from being typed, as in a real browser.
func likeAKeyboard(k *input.DispatchKeyEventParams) {
	if k.Type == kb.KeyDown {
		k.Type = kb.KeyRawDown
	}
}

// The CRM's admin screens in a real browser: the top bar's search from the
// keyboard, a choice-list custom field added in settings, and a merge of
// two duplicates with a chosen value, without a script error anywhere.
func TestBrowserCRMAdmin(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	acc := newClient(t, a).signUp("desk@example.com", "Desk")
	c := newClient(t, a).as(acc.Access, acc.OrgID)
	jose := c.must(201, "POST", "/contacts", map[string]any{"first_name": "José", "last_name": "Müller", "email": "jose@example.com"}).Str("id")
	c.must(201, "POST", "/companies", map[string]any{"name": "Josefine Bakery"})
	keep := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "phone": "+1 415 555 2671"}).Str("id")
	dup := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Annie", "phone": "(415) 555-2671", "tags": []string{"lead"}}).Str("id")

	u := newUITab(t, a)
	u.signIn("desk@example.com", testPassword, "/")

	t.Run("search from the keyboard", func(t *testing.T) {
		u.t = t
		const box = `document.getElementById("global-search")`
		const options = `[...document.querySelectorAll("#search-suggestions [role=option]:not([aria-disabled])")]`
		u.do(chromedp.KeyEvent("/", likeAKeyboard))
		u.waitFor("the search box to have focus", `document.activeElement === `+box)
		u.do(chromedp.KeyEvent("jos", likeAKeyboard))
		u.waitFor("suggestions", `!document.getElementById("search-suggestions").hidden && `+box+`.getAttribute("aria-expanded") === "true" && `+options+`.length === 3`)
		u.mustSee("#search-suggestions", "José Müller", "jose@example.com", "Josefine Bakery", "See all results")
		// Escape closes the list and keeps the text; typing on reopens it.
		u.do(chromedp.KeyEvent(kb.Escape, likeAKeyboard))
		u.waitFor("the list to close", `document.getElementById("search-suggestions").hidden && `+box+`.value === "jos"`)
		u.do(chromedp.KeyEvent("e", likeAKeyboard))
		u.waitFor("suggestions for jose", `!document.getElementById("search-suggestions").hidden && `+options+`.some(o => o.textContent.includes("José"))`)
		u.do(chromedp.KeyEvent(kb.ArrowDown, likeAKeyboard))
		if got := u.eval(box + `.getAttribute("aria-activedescendant") === ` + options + `[0].id && ` + options + `[0].getAttribute("aria-selected") === "true"`); got != "true" {
			t.Fatalf("ArrowDown did not make the first option active")
		}
		u.do(chromedp.KeyEvent(kb.Enter, likeAKeyboard))
		u.waitPage("/contacts/" + jose)
		u.noPageErrors()
	})

	t.Run("slash is text inside a field", func(t *testing.T) {
		u.t = t
		u.open("/search?q=")
		u.click("#search-q")
		u.do(chromedp.KeyEvent("a/b", likeAKeyboard))
		if got := u.eval(`document.getElementById("search-q").value + " " + (document.activeElement.id)`); got != "a/b search-q" {
			t.Fatalf("typing a slash in a field: %q", got)
		}
		// Enter with no option chosen opens the full results page.
		u.click("#global-search")
		u.do(chromedp.KeyEvent("ann", likeAKeyboard), chromedp.KeyEvent(kb.Enter, likeAKeyboard))
		u.waitFor("the results page", `location.pathname === "/search" && location.search === "?q=ann" && document.readyState === "complete"`)
		u.mustSee("#search-results", "Ann", "Annie")
		u.noPageErrors()
	})

	t.Run("add a choice-list field", func(t *testing.T) {
		u.t = t
		u.open("/settings/custom-fields")
		if u.eval(`getComputedStyle(document.querySelector(".cf-options")).display`) != "none" {
			t.Error("the choices box shows for a text field")
		}
		u.fill("#cf-label", "Deal stage")
		u.do(chromedp.SetValue(chromedp.CSS("#cf-type"), "select"))
		u.waitFor("the choices box", `getComputedStyle(document.querySelector(".cf-options")).display !== "none"`)
		u.do(chromedp.SendKeys(chromedp.CSS("#cf-options"), "Cold\nWarm\nHot"))
		u.click("#custom-field-form button[type=submit]")
		u.waitPage("/settings/custom-fields")
		u.toastSays("Added the contact field Deal stage.")
		u.mustSee("tr[data-field=deal_stage]", "Deal stage", "Choice list", "Cold, Warm, Hot")
		u.noPageErrors()
	})

	t.Run("merge two duplicates", func(t *testing.T) {
		u.t = t
		u.open("/contacts/duplicates")
		u.mustSee("section[data-reason=phone]", "Same phone number", "Ann", "Annie")
		u.click(`a[href="/contacts/` + keep + `/merge?with=` + dup + `"]`)
		u.waitPage("/contacts/" + keep + "/merge")
		u.click(`input[name=first_name][value=take]`)
		u.click("#merge-form button[type=submit]")
		// The merge is confirmed first.
		u.waitFor("the confirmation", `document.getElementById("kite-confirm").open`)
		u.mustSee("#kite-confirm", "Merge Annie into Ann?", "Annie is deleted")
		u.click("#kite-confirm .btn-danger")
		u.waitPage("/contacts/" + keep)
		got := c.must(200, "GET", "/contacts/"+keep, nil)
		if got.Str("first_name") != "Annie" || got.Body["tags"].([]any)[0] != "lead" {
			t.Fatalf("merged contact = %s", got.Raw)
		}
		c.must(404, "GET", "/contacts/"+dup, nil)
		u.noPageErrors()
	})
}
