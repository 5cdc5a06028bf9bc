package httpx

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/auth"
)

// The signed-in user's own language comes first; without one, ?lang=, the
// cookie, then Accept-Language.
func TestLangPutsTheUsersSettingFirst(t *testing.T) {
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		if l := c.Get("X-User-Lang"); l != "-" {
			auth.SetUser(c, auth.User{ID: "u", Role: auth.Analyst, Lang: l})
		}
		return c.SendString(string(Lang(c)))
	})
	for _, tc := range []struct{ name, user, query, cookie, accept, want string }{
		{"setting over everything", "kk", "en", "en", "ru", "kk"},
		{"no setting: ?lang=", "", "ru", "kk", "en", "ru"},
		{"no setting: the cookie", "", "", "kk", "ru", "kk"},
		{"no setting: the browser's", "", "", "", "ru-RU,ru;q=0.9", "ru"},
		{"anonymous", "-", "", "", "kk", "kk"},
	} {
		target := "/"
		if tc.query != "" {
			target += "?lang=" + tc.query
		}
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("X-User-Lang", tc.user)
		req.Header.Set("Accept-Language", tc.accept)
		if tc.cookie != "" {
			req.Header.Set("Cookie", LangCookie+"="+tc.cookie)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, body, tc.want)
		}
	}
}
