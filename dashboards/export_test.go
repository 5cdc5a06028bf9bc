package dashboards

// MenuPaths is the header menu's pages of a role.
var MenuPaths = menuPaths
