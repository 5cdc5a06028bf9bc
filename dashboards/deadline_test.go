package dashboards

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestEveryRequestHasThePageDeadline: what a page reads (ClickHouse, the
// APIs) is bounded, so a database that stops answering fails the page.
func TestEveryRequestHasThePageDeadline(t *testing.T) {
	app := fiber.New()
	app.Use(readDeadline)
	var left time.Duration
	app.Get("/", func(c *fiber.Ctx) error {
		if d, ok := c.UserContext().Deadline(); ok {
			left = time.Until(d)
		}
		return nil
	})
	if _, err := app.Test(httptest.NewRequest("GET", "/", nil)); err != nil {
		t.Fatal(err)
	}
	if left <= pageDeadline-10*time.Second || left > pageDeadline {
		t.Fatalf("the request's context ends in %s; want about %s", left, pageDeadline)
	}
}
