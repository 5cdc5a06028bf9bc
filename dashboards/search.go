package dashboards

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/auth"
	"econdip/services/search/domain"
	"econdip/services/search/httpapi"
)

// searchPages are the global search's pages.
var searchPages = []string{"search"}

// searchClient is the search service's API.
type searchClient struct{ *apiClient }

func (c searchClient) search(ctx context.Context, token, q, kinds string, limit int, forLink bool) ([]domain.Hit, error) {
	v := url.Values{"q": {q}}
	if forLink {
		v.Set("for", "link")
	}
	if kinds != "" {
		v.Set("kinds", kinds)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out httpapi.ResultsJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/search?"+v.Encode(), nil, nil, &out)
	return out.Results, err
}

// searchRoutes mounts the results page of the header's search box and the
// JSON the decision page's picker asks (both through the search API, with
// the user's token: results are what the user may read), when the
// dashboard knows the search API.
func (s *Server) searchRoutes(ui auth.Router) {
	if s.cfg.SearchURL == "" {
		return
	}
	s.search = searchClient{newAPIClient(s.cfg.SearchURL)}
	ui.Get("/search", auth.SignedIn, s.searchPage)
	ui.Get("/api/search", auth.SignedIn, s.searchJSON)
}

// searchGroup is one kind's results on the results page.
type searchGroup struct {
	Kind domain.Kind
	Hits []domain.Hit
}

func (s *Server) searchPage(c *fiber.Ctx) error {
	q := c.Query("q")
	var groups []searchGroup
	searched := !domain.ParseQuery(q).Empty()
	if searched {
		hits, err := s.search.search(apiContext(c), token(c), q, c.Query("kinds"), domain.MaxSize, false)
		if err != nil {
			return err
		}
		for _, k := range domain.Kinds {
			g := searchGroup{Kind: k}
			for _, h := range hits {
				if h.Kind == k {
					g.Hits = append(g.Hits, h)
				}
			}
			if len(g.Hits) > 0 {
				groups = append(groups, g)
			}
		}
	}
	return s.render(c, fiber.StatusOK, "search", "search.title", fiber.Map{"Q": q, "Searched": searched, "Groups": groups})
}

// searchJSON answers the picker: GET /api/search?q=&kinds=lead,deal&limit=&for=link.
func (s *Server) searchJSON(c *fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	hits, err := s.search.search(apiContext(c), token(c), c.Query("q"), c.Query("kinds"), min(max(limit, 0), domain.MaxSize), c.Query("for") == "link")
	if err != nil {
		return err
	}
	return c.JSON(httpapi.ResultsJSON{Query: c.Query("q"), Results: hits})
}
