package httpx

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
)

// Finding 10 of issue 13, the parser itself: a day or year out of
// 2000-2100 is a field error naming the parameter.
func TestFinding10_DateFiltersOutOfRangeAre400(t *testing.T) {
	tests := []struct {
		query      string
		day, years string // the day read, the years read
		bad        []string
	}{
		{query: "", day: "", years: "[]"},
		{query: "as_of=2000-01-01&years=2000,2100", day: "2000-01-01", years: "[2000 2100]"},
		{query: "as_of=2100-12-31&years=2024&years=2023,2024", day: "2100-12-31", years: "[2023 2024]"},
		{query: "as_of=1900-01-01", bad: []string{"as_of"}},
		{query: "as_of=1999-12-31", bad: []string{"as_of"}},
		{query: "as_of=2101-01-01", bad: []string{"as_of"}},
		{query: "as_of=0001-01-01", bad: []string{"as_of"}},
		{query: "as_of=2025-02-30", bad: []string{"as_of"}},
		{query: "as_of=today", bad: []string{"as_of"}},
		{query: "years=1999", bad: []string{"years"}},
		{query: "years=2024,2101", bad: []string{"years"}},
		{query: "years=x", bad: []string{"years"}},
		{query: "as_of=1900-01-01&years=1900", bad: []string{"as_of", "years"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			app := fiber.New()
			app.Get("/", func(c *fiber.Ctx) error {
				var fe apperr.Fields
				day, given := DayParam(c, "as_of", &fe)
				years := YearsParam(c, "years", &fe)
				var got []string
				for _, f := range fe {
					got = append(got, f.Field)
				}
				if len(got) != len(tc.bad) {
					t.Fatalf("field errors on %v, want %v", got, tc.bad)
				}
				for i := range got {
					if got[i] != tc.bad[i] {
						t.Errorf("field errors on %v, want %v", got, tc.bad)
					}
				}
				if tc.bad != nil {
					return nil
				}
				if given != (tc.day != "") || (given && day.Format("2006-01-02") != tc.day) {
					t.Errorf("day %v (given %v), want %q", day, given, tc.day)
				}
				if s := fmt.Sprint(years); s != tc.years {
					t.Errorf("years %s, want %s", s, tc.years)
				}
				return nil
			})
			if _, err := app.Test(httptest.NewRequest("GET", "/?"+tc.query, nil)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
