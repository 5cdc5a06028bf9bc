package dashboards

import "github.com/gofiber/fiber/v2"

// attacheExportPages are the templates of the attachés' deal and barrier pages.
var attacheExportPages = []string{}

// attacheExportRoutes mounts the attachés' deal and barrier pages.
func (s *Server) attacheExportRoutes(ui fiber.Router) {}
