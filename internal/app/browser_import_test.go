package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// A member uploads a CSV file on the import page, sees its first rows with
// a guessed field per column, fixes a refused mapping, starts, watches the
// progress finish with its counts and a link to the rejected rows.
func TestBrowserImportContacts(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	owner := newClient(t, a).signUp("ida@example.com", "Ida Imports")
	file := filepath.Join(t.TempDir(), "leads.csv")
	csv := "Vorname;Nachname;E-mail;Firma;Notiz\n" +
		"Ann;Lee;ann@example.com;Acme;\"first call\nwent well\"\n" +
		"Bob;Stone;bob@example.com;Acme;\n" +
		"Bad;Row;not-an-email;;\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	u := newUITab(t, a)
	u.signIn(owner.Email, owner.Password, "/")

	u.open("/contacts/import")
	u.mustSee("main", "Upload a CSV file", "No imports yet")
	u.click("#import-upload button[type=submit]") // no file yet
	u.waitFor("the file error", `document.querySelector("#import-file-error")`)
	u.mustSee("#import-upload", "Choose a CSV file to upload.")

	u.do(chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}))
	u.click("#import-upload button[type=submit]")
	u.waitFor("the mapping step", `document.querySelector("#import-mapping")`)
	u.mustSee("#import-preview", "ann@example.com", "bob@example.com", "not-an-email")
	for column, want := range map[string]string{"Vorname": "first_name", "Nachname": "last_name", "E-mail": "email", "Firma": "company", "Notiz": ""} {
		if got := u.eval(`document.querySelector('select[data-column="` + column + `"]').value`); got != want {
			t.Errorf("column %s is guessed as %q, want %q", column, got, want)
		}
	}
	// Mapping two columns to one field is refused next to the column.
	u.do(chromedp.SetValue(chromedp.CSS(`select[data-column="Notiz"]`), "email"))
	u.click("#import-mapping button[type=submit]")
	u.waitFor("the column error", `document.querySelector("#import-mapping .field-error")`)
	u.mustSee("#import-mapping", "both map to email")

	if got := u.eval(`document.querySelector('select[data-column="Firma"]').value`); got != "company" {
		t.Errorf("the refused form lost the other choices: Firma = %q", got)
	}
	u.do(chromedp.SetValue(chromedp.CSS(`select[data-column="Notiz"]`), "title"))
	u.click("#import-mapping button[type=submit]")
	u.waitFor("the finished import", `document.querySelector("#import-progress[data-status=done]")`)
	u.toastSays("Import started.")
	u.mustSee("#import-progress", "Done: 2 created, 0 updated, 0 duplicates skipped, 1 rejected.")
	if got := u.text("#import-created"); got != "2" {
		t.Errorf("created = %q", got)
	}
	if href := u.eval(`document.querySelector("#import-rejected").getAttribute("href")`); filepath.Base(href) != "rejected.csv" {
		t.Errorf("rejected rows link = %q", href)
	}
	u.open("/contacts/import")
	u.mustSee("#recent-imports", "leads.csv", "done")
	u.noPageErrors()
}
