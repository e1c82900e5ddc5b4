// Package crm holds companies, contacts, tags, notes and custom fields:
// their rules, storage, search and API. Every query is scoped by
// organization; another organization's record is "not found".
package crm

import (
	"time"

	"github.com/uptrace/bun"
)

// Contact is a person the team sells to.
type Contact struct {
	bun.BaseModel    `bun:"table:contacts"`
	ID               string         `bun:"id,pk" json:"id"`
	OrgID            string         `bun:"org_id" json:"-"`
	FirstName        string         `bun:"first_name" json:"first_name"`
	LastName         string         `bun:"last_name" json:"last_name"`
	Email            string         `bun:"email,nullzero" json:"email"`
	Phone            string         `bun:"phone" json:"phone"`
	PhoneKey         string         `bun:"phone_key" json:"-"`
	TelegramUsername string         `bun:"telegram_username" json:"telegram_username"`
	TelegramKey      string         `bun:"telegram_key" json:"-"`
	Title            string         `bun:"title" json:"title"`
	CompanyID        string         `bun:"company_id,nullzero" json:"company_id"`
	OwnerID          string         `bun:"owner_id,nullzero" json:"owner_id"`
	CustomFieldsText string         `bun:"custom_fields" json:"-"`
	CustomFields     map[string]any `bun:"-" json:"custom_fields"`
	Tags             []string       `bun:"-" json:"tags"`
	TagList          string         `bun:"tag_list,scanonly" json:"-"` // tag names of a list row (selectTags)
	SearchText       string         `bun:"search_text" json:"-"`
	CreatedAt        time.Time      `bun:"created_at" json:"created_at"`
	UpdatedAt        time.Time      `bun:"updated_at" json:"updated_at"`
}

// Name is the contact's full name.
func (c Contact) Name() string {
	switch {
	case c.FirstName == "":
		return c.LastName
	case c.LastName == "":
		return c.FirstName
	}
	return c.FirstName + " " + c.LastName
}

// Company is an organization the team sells to.
type Company struct {
	bun.BaseModel    `bun:"table:companies"`
	ID               string         `bun:"id,pk" json:"id"`
	OrgID            string         `bun:"org_id" json:"-"`
	Name             string         `bun:"name" json:"name"`
	Domain           string         `bun:"domain" json:"domain"`
	Website          string         `bun:"website" json:"website"`
	Industry         string         `bun:"industry" json:"industry"`
	Size             string         `bun:"size" json:"size"`
	Phone            string         `bun:"phone" json:"phone"`
	Address          string         `bun:"address" json:"address"`
	OwnerID          string         `bun:"owner_id,nullzero" json:"owner_id"`
	CustomFieldsText string         `bun:"custom_fields" json:"-"`
	CustomFields     map[string]any `bun:"-" json:"custom_fields"`
	Tags             []string       `bun:"-" json:"tags"`
	TagList          string         `bun:"tag_list,scanonly" json:"-"` // tag names of a list row (selectTags)
	SearchText       string         `bun:"search_text" json:"-"`
	CreatedAt        time.Time      `bun:"created_at" json:"created_at"`
	UpdatedAt        time.Time      `bun:"updated_at" json:"updated_at"`
}

// Tag labels contacts and companies; names are unique per org,
// case-insensitively.
type Tag struct {
	bun.BaseModel `bun:"table:tags"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	Name          string    `bun:"name" json:"name"`
	NameKey       string    `bun:"name_key" json:"-"`
	Color         string    `bun:"color" json:"color"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
}

// Note is plain text attached to a contact or a company.
type Note struct {
	bun.BaseModel `bun:"table:notes"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	SubjectType   string    `bun:"subject_type" json:"subject_type"`
	SubjectID     string    `bun:"subject_id" json:"subject_id"`
	Body          string    `bun:"body" json:"body"`
	AuthorID      string    `bun:"author_id" json:"author_id"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// Subjects of notes and tags.
const (
	SubjectContact = "contact"
	SubjectCompany = "company"
)

// contactTag links a tag to a contact; CreatedAt is the contact's, so the
// tag filter pages in the default order on one index.
type contactTag struct {
	bun.BaseModel `bun:"table:contact_tags"`
	TagID         string    `bun:"tag_id,pk"`
	ContactID     string    `bun:"contact_id,pk"`
	CreatedAt     time.Time `bun:"created_at"`
}

// companyTag links a tag to a company; CreatedAt is the company's.
type companyTag struct {
	bun.BaseModel `bun:"table:company_tags"`
	TagID         string    `bun:"tag_id,pk"`
	CompanyID     string    `bun:"company_id,pk"`
	CreatedAt     time.Time `bun:"created_at"`
}
