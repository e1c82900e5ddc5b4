package web

// NavItem is one entry of the main navigation.
//
// An item that is not Ready is a product area that is not built yet: the
// sidebar shows it as a disabled entry with a "Soon" badge instead of a link,
// so nobody is sent to a page that does not exist. Building an area means
// giving its item an Href and setting Ready.
type NavItem struct {
	Key     string // matched against Page.Active to mark the current page
	Label   string
	Href    string
	Icon    string // a name known to icon(); unknown names draw nothing
	Ready   bool
	Section string // items are grouped under their section heading, in order
	// Counter, when set, is a URL answering the item's live count as a
	// badge fragment (the inbox's unread messages); loaded after the page.
	Counter string
	// CounterOn lists the realtime event types, space-separated, after
	// which every page fetches the count again.
	CounterOn string
}

// UnreadBadgePath answers the inbox item's unread badge.
const UnreadBadgePath = "/inbox/unread"

// Navigation sections, in the order the sidebar shows them.
const (
	sectionWorkspace = "Workspace"
	sectionSystem    = "System"
)

// navItems is the main navigation: every product area of Kite.
func navItems() []NavItem {
	return []NavItem{
		{Key: "home", Label: "Home", Href: "/", Icon: "home", Ready: true, Section: sectionWorkspace},
		{Key: "inbox", Label: "Inbox", Href: "/inbox", Icon: "inbox", Ready: true, Section: sectionWorkspace},
		{Key: "contacts", Label: "Contacts", Href: "/contacts", Icon: "contacts", Ready: true, Section: sectionWorkspace},
		{Key: "companies", Label: "Companies", Href: "/companies", Icon: "companies", Ready: true, Section: sectionWorkspace},
		{Key: "deals", Label: "Deals", Href: "/deals", Icon: "deals", Ready: true, Section: sectionWorkspace},
		{Key: "campaigns", Label: "Campaigns", Icon: "campaigns", Section: sectionWorkspace},
		{Key: "agents", Label: "Agents", Icon: "agents", Section: sectionWorkspace},
		{Key: "automation", Label: "Automation", Icon: "automation", Section: sectionWorkspace},
		{Key: "analytics", Label: "Analytics", Icon: "analytics", Section: sectionWorkspace},
		{Key: "notifications", Label: "Notifications", Icon: "notifications", Section: sectionSystem},
		{Key: "settings", Label: "Settings", Href: "/settings/organization", Icon: "settings", Ready: true, Section: sectionSystem},
		{Key: "status", Label: "System status", Href: "/status", Icon: "status", Ready: true, Section: sectionSystem},
	}
}

// shellNavItems is navItems for a page: the Settings item leads to the
// first settings page the person may open.
func shellNavItems(s *Shell) []NavItem {
	items := navItems()
	for i := range items {
		if items[i].Key == "settings" {
			items[i].Href = settingsHref(s)
		}
		if items[i].Key == "inbox" && s.HasOrg() {
			items[i].Counter = UnreadBadgePath
			items[i].CounterOn = "message.received chat.read chat.created"
		}
	}
	return items
}

// navSection is a heading with its items, as the sidebar draws them.
type navSection struct {
	Title string
	Items []NavItem
}

// navSections groups items by Section, keeping first-appearance order.
func navSections(items []NavItem) []navSection {
	var out []navSection
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.Section]
		if !ok {
			i = len(out)
			index[it.Section] = i
			out = append(out, navSection{Title: it.Section})
		}
		out[i].Items = append(out[i].Items, it)
	}
	return out
}

// iconPath returns the SVG path data of a 24×24 stroked icon.
func iconPath(name string) string {
	switch name {
	case "home":
		return "M3.5 11 12 4l8.5 7M6 9v10.5h4.5V15h3v4.5H18V9"
	case "inbox":
		return "M3 13h5l1.5 3h5l1.5-3h5M3 13l2.6-7.6A2 2 0 0 1 7.5 4h9a2 2 0 0 1 1.9 1.4L21 13v5a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"
	case "contacts":
		return "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20c.6-3.4 3.7-6 7.5-6s6.9 2.6 7.5 6"
	case "companies":
		return "M4 20V5a1 1 0 0 1 1-1h9a1 1 0 0 1 1 1v15M15 9h4a1 1 0 0 1 1 1v10M2.5 20h19M8 8h3M8 12h3M8 16h3"
	case "deals":
		return "M5 4h3a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zM11 4h3a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1h-3M17 4h2a1 1 0 0 1 1 1v5a1 1 0 0 1-1 1h-2"
	case "campaigns":
		return "M21 3 10.5 13.5M21 3l-6.5 18-4-7.5L3 9.5z"
	case "agents":
		return "M8 8h8a3 3 0 0 1 3 3v5a3 3 0 0 1-3 3H8a3 3 0 0 1-3-3v-5a3 3 0 0 1 3-3zM12 8V4.5M9.5 13v1.5M14.5 13v1.5"
	case "automation":
		return "M13 2.5 4.5 13.5H11l-1 8 8.5-11H12z"
	case "analytics":
		return "M3.5 20h17M7 16v-5M12 16V6M17 16v-8"
	case "notifications":
		return "M6 9.5a6 6 0 1 1 12 0c0 5.5 2.5 7.5 2.5 7.5h-17S6 15 6 9.5zM10 20.5a2.2 2.2 0 0 0 4 0"
	case "settings":
		return "M4 7h9M17 7h3M15 5v4M4 17h3M11 17h9M9 15v4"
	case "status":
		return "M3 12h4l3-7.5 4 15 3-7.5h4"
	case "search":
		return "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20.5 20.5 16 16"
	case "menu":
		return "M4 6.5h16M4 12h16M4 17.5h16"
	case "alert":
		return "M10.3 4.2 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 4.2a2 2 0 0 0-3.4 0zM12 9.5v4M12 17h.01"
	case "queue":
		return "M4 6h16M4 12h16M4 18h10"
	case "chevron":
		return "M7 10l5 5 5-5"
	case "check":
		return "M5 12.5l4.5 4.5L19 7.5"
	case "plus":
		return "M12 5v14M5 12h14"
	case "user":
		return "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20c.6-3.4 3.7-6 7.5-6s6.9 2.6 7.5 6"
	case "logout":
		return "M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 16l-4-4 4-4M6 12h10"
	case "copy":
		return "M9 9h10v11H9zM5 15V4h10"
	case "key":
		return "M14.5 4a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11zM10.6 13.4 4 20M6.5 17.5 9 20M4 20h2"
	case "shield":
		return "M12 3.5 5 6.5v5c0 4.3 3 7.9 7 9 4-1.1 7-4.7 7-9v-5z"
	case "lock":
		return "M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3"
	case "telegram":
		return "M21 4.5 2.8 11.6c-.9.4-.9 1.1.1 1.4l4.6 1.4 1.8 5.5c.2.6.4.8.9.8.4 0 .6-.2.9-.5l2.2-2.1 4.6 3.4c.8.5 1.5.2 1.7-.8L22 5.6c.3-1.2-.4-1.7-1-1.1zM8 14.2l10.4-6.6"
	case "mail":
		return "M3.5 6h17v12h-17zM3.5 6.5 12 13l8.5-6.5"
	case "reply":
		return "M10 8 5 12.5l5 4.5M5 12.5h9a5 5 0 0 1 5 5V19"
	case "paperclip":
		return "M20 11.5 12 19.5a5 5 0 0 1-7-7l8-8a3.3 3.3 0 0 1 4.7 4.7l-8 8a1.7 1.7 0 0 1-2.4-2.4L14.5 7.5"
	case "back":
		return "M15 5l-7 7 7 7"
	case "send":
		return "M4 12 20 4l-5 16-3.5-6.5zM11.5 13.5 20 4"
	case "compass":
		return "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM15.5 8.5l-2 5-5 2 2-5z"
	}
	return ""
}
