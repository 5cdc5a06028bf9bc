// Package domain holds the rules of the company register: what a valid
// company is, how a name is normalised for matching (legal forms removed,
// Cyrillic transliterated, case and punctuation folded) and how alike two
// names are. It imports no transport or storage.
package domain

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"econdip/services/platform/apperr"
	"econdip/services/platform/reference"
)

// Contact is a person at the company (personal data).
type Contact struct {
	Name, Email, Phone, Role string
}

// Company is an investor or a foreign buyer in the register.
type Company struct {
	ID, Name, NameLatin, Country, RegNumber, Website string
	Version                                          int
	Aliases                                          []string
	Contacts                                         []Contact
	MergedInto                                       string
	CreatedBy                                        string
	CreatedAt, UpdatedAt                             time.Time
}

// Details are what a user writes of a company.
type Details struct {
	Name, NameLatin, Country, RegNumber, Website string
	Aliases                                      []string
	Contacts                                     []Contact
}

// Limits of a company's fields.
const (
	maxName     = 300
	maxAliases  = 50
	maxContacts = 20
)

var phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,25}$`)

// Validate checks every field and returns all errors at once, as field errors.
func (d Details) Validate(ref *reference.Data) error {
	var f apperr.Fields
	f.Text("name", d.Name, true, maxName)
	f.Text("name_latin", d.NameLatin, false, maxName)
	if d.Country == "" {
		f.Add("country", "error.required")
	} else if _, ok := ref.Country(d.Country); !ok {
		f.Add("country", "error.unknown_country", d.Country)
	}
	f.Text("reg_number", d.RegNumber, false, 100)
	if w := strings.TrimSpace(d.Website); w != "" {
		u, err := url.Parse(w)
		if len(w) > maxName || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("website", "error.website", w)
		}
	}
	if len(d.Aliases) > maxAliases {
		f.Add("aliases", "error.too_many", maxAliases)
	}
	for i, a := range d.Aliases {
		f.Text("aliases["+strconv.Itoa(i)+"]", a, true, maxName)
	}
	if len(d.Contacts) > maxContacts {
		f.Add("contacts", "error.too_many", maxContacts)
	}
	for i, c := range d.Contacts {
		field := func(name string) string { return "contacts[" + strconv.Itoa(i) + "]." + name }
		f.Text(field("name"), c.Name, true, 200)
		f.Text(field("role"), c.Role, false, 200)
		if c.Email != "" {
			if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
				f.Add(field("email"), "error.email", c.Email)
			}
		}
		if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
			f.Add(field("phone"), "error.phone", c.Phone)
		}
	}
	return f.Err()
}

// New is a company as a user records it, before it has an id: version 1,
// recorded at now by the user.
func New(d Details, ref *reference.Data, by string, now time.Time) (Company, error) {
	if err := d.Validate(ref); err != nil {
		return Company{}, err
	}
	c := Company{Version: 1, CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	c.Apply(d)
	return c, nil
}

// Details returns what a user may edit of the company.
func (c Company) Details() Details {
	return Details{Name: c.Name, NameLatin: c.NameLatin, Country: c.Country, RegNumber: c.RegNumber, Website: c.Website,
		Aliases: slices.Clone(c.Aliases), Contacts: slices.Clone(c.Contacts)}
}

// Apply copies validated details onto the company. The Latin form, when
// not given, is the name transliterated; aliases are trimmed, and the
// company's own names and repeats are dropped from them.
func (c *Company) Apply(d Details) {
	c.Name = strings.TrimSpace(d.Name)
	c.NameLatin = strings.TrimSpace(d.NameLatin)
	if c.NameLatin == "" {
		c.NameLatin = LatinForm(c.Name)
	}
	c.Country = d.Country
	c.RegNumber = strings.TrimSpace(d.RegNumber)
	c.Website = strings.TrimSpace(d.Website)
	c.Aliases = nil
	for _, a := range d.Aliases {
		c.AddAlias(a)
	}
	c.Contacts = d.Contacts
}

// AddAlias adds a spelling unless the company already has it (its name,
// Latin form or an alias, compared case-insensitively); it reports whether
// it did.
func (c *Company) AddAlias(a string) bool {
	a = strings.TrimSpace(a)
	if a == "" {
		return false
	}
	for _, have := range append([]string{c.Name, c.NameLatin}, c.Aliases...) {
		if strings.EqualFold(have, a) {
			return false
		}
	}
	c.Aliases = append(c.Aliases, a)
	return true
}

// Names are every spelling of the company: name, Latin form and aliases.
func (c Company) Names() []string {
	return append([]string{c.Name, c.NameLatin}, c.Aliases...)
}

// Absorb is the merge rule on the survivor: it takes the absorbed
// company's names (name, Latin form, aliases) as aliases. Refused when the
// two are one, when either is merged already, or when their countries
// differ (a company is a legal entity of one country).
func (c *Company) Absorb(other Company) error {
	var f apperr.Fields
	switch {
	case other.ID == c.ID:
		f.Add("absorb", "error.merge_self")
	case c.MergedInto != "":
		f.Add("absorb", "error.merged_already", c.Name, c.MergedInto)
	case other.MergedInto != "":
		f.Add("absorb", "error.merged_already", other.Name, other.MergedInto)
	case other.Country != c.Country:
		f.Add("absorb", "error.merge_country", other.Country, c.Country)
	}
	if err := f.Err(); err != nil {
		return err
	}
	for _, n := range other.Names() {
		c.AddAlias(n)
	}
	return nil
}
