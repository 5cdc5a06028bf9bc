package dashboards

import "github.com/gofiber/fiber/v2"

// analystExportPages are the templates of the analysts' export and barrier pages.
var analystExportPages = []string{}

// analystExportRoutes mounts the analysts' "Exports" and "Trade barriers"
// pages and their JSON/CSV figures.
func (s *Server) analystExportRoutes(ui fiber.Router) {}
