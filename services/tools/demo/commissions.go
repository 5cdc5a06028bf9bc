package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"econdip/services/commissions/domain"
	"econdip/services/commissions/httpapi"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
)

// DEMO DATA. The commissions below are Kazakhstan's real intergovernmental
// commissions as reported in public sources (partner, body name, some session
// numbers, dates, places and co-chairs: see
// /work/shared/reference/kz_commissions_and_trade_notes.md); where a source
// gave no co-chair, a role stands in. Everything else is invented for the
// demo: the session dates not reported, every protocol item, agency,
// deadline, amount, status, comment and letter number. Nothing here is a
// record of what a commission decided.

// Commission is one demo commission with the protocols of its sessions and
// what became of their decisions.
type Commission struct {
	Request  httpapi.CommissionRequest
	Sessions []Session
}

// Session is one protocol and, for each of its decisions (same order as
// Request.Decisions), the changes recorded after it.
type Session struct {
	Request httpapi.ProtocolRequest
	Changes [][]Change
}

// Change is one step in a decision's life after the protocol was recorded: a
// status change (Status set), backdated to EffectiveOn, or, when Status is
// empty, a link to the investor lead Lead (an index into the generated leads,
// and so into the leads Loader.Load created).
type Change struct {
	Status      domain.Status
	EffectiveOn string
	Comment     string
	EvidenceRef string
	Lead        int
}

// IsLink reports whether the change links the decision to a lead.
func (c Change) IsLink() bool { return c.Status == "" }

// item is a protocol item template. In text, {A} is the partner's adjective,
// {N} its name and {C} its capital.
type item struct {
	text     string
	agencies []string
	sector   string
	clauses  []string
	value    int64  // millions; 0: no value
	currency string // empty: the partner's usual currency
	invest   bool   // a project an investor lead may follow from
}

type sessionSpec struct {
	number int
	date   string // as reported; empty: a day in year between months m1 and m2
	year   int
	m1, m2 int
	place  string
}

type partner struct {
	id, country, name, kzChair, partnerChair, secretariat string
	adj, countryName, capital, currency                   string
	sessions                                              []sessionSpec
	items                                                 []item
}

var partners = []partner{
	{
		id: "igc-cn", country: "CN", name: "Kazakhstan–China Cooperation Committee",
		kzChair: "First Deputy Prime Minister Roman Sklyar", partnerChair: "Vice Premier Ding Xuexiang", secretariat: "mti",
		adj: "Chinese", countryName: "China", capital: "Beijing", currency: "USD",
		sessions: []sessionSpec{
			{number: 10, year: 2022, m1: 6, m2: 9, place: "Beijing"},
			{number: 11, date: "2023-11-27", place: "Astana"},
			{number: 12, date: "2025-03-18", place: "Beijing"},
		},
		items: []item{
			{text: "Ministry of Trade and Integration and QazTrade to open a Kazakh trade house in Urumqi", agencies: []string{"mti", "qaztrade"}, clauses: []string{"2.7"}},
			{text: "Agree a phytosanitary protocol for the export of Kazakh wheat bran to China", agencies: []string{"moa", "mti"}, sector: "agro_industrial", clauses: []string{"2.7", "2.13"}},
			{text: "Launch a joint venture for copper cathode production in East Kazakhstan region", agencies: []string{"kazakh-invest", "mic"}, sector: "non_ferrous_metallurgy", clauses: []string{"2.2", "2.5"}, value: 120, invest: true},
			{text: "Raise container train traffic through the Khorgos–Altynkol crossing to 30 trains a day", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8", "2.9"}},
			{text: "Build the third railway track at the Dostyk–Alashankou border crossing", agencies: []string{"ktz", "mtr"}, sector: "transport_logistics", clauses: []string{"2.8"}, value: 350, invest: true},
			{text: "Expand the Kazakh terminal at the port of Lianyungang for transit grain and containers", agencies: []string{"ktz", "mtr"}, sector: "transport_logistics", clauses: []string{"2.8", "2.5"}},
			{text: "Start construction of a polyethylene plant in Atyrau region with Chinese partners", agencies: []string{"samruk", "kmg", "moe"}, sector: "petrochemistry_refining", clauses: []string{"2.2", "2.10"}, value: 7400, invest: true},
			{text: "Agree the list of 15 agricultural products admitted for export to China under simplified certification", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.7"}},
			{text: "Bring into force the agreement on mutual visa exemption for stays of up to 30 days", agencies: []string{"mfa", "mia"}, clauses: []string{"3.5"}},
			{text: "Feasibility study for a 1 GW wind farm in Zhambyl region with Chinese investors", agencies: []string{"moe", "kazakh-invest"}, clauses: []string{"2.2", "2.4"}, value: 1200, invest: true},
			{text: "Launch an electric bus assembly plant in Almaty with a Chinese manufacturer", agencies: []string{"mic", "kazakh-invest"}, sector: "machine_building", clauses: []string{"2.2", "2.3"}, value: 850, currency: "CNY", invest: true},
			{text: "Hold a Kazakh export goods week on Chinese e-commerce platforms", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
			{text: "Open a Luban Workshop for vocational training in engineering at a Kazakh university", agencies: []string{"mse", "mep"}, sector: "education", clauses: []string{"3.7", "2.3"}},
			{text: "Agree the water allocation of the transboundary Ile and Ertis rivers for the coming year", agencies: []string{"mwr", "mfa"}, clauses: []string{"3.17"}},
		},
	},
	{
		id: "igc-uz", country: "UZ", name: "Kazakhstan–Uzbekistan Intergovernmental Commission on Bilateral Cooperation",
		kzChair: "Prime Minister Alikhan Smailov", partnerChair: "Prime Minister Abdulla Aripov", secretariat: "mti",
		adj: "Uzbek", countryName: "Uzbekistan", capital: "Tashkent", currency: "USD",
		sessions: []sessionSpec{
			{number: 19, year: 2021, m1: 9, m2: 11, place: "Astana"},
			{number: 20, date: "2023-05-05", place: "Tashkent"},
			{number: 21, year: 2025, m1: 4, m2: 6, place: "Astana"},
		},
		items: []item{
			{text: "Start construction of the Central Asia International Centre for Industrial Cooperation on the Kazakh–Uzbek border", agencies: []string{"mti", "akimats"}, clauses: []string{"2.9", "2.5"}, value: 150, invest: true},
			{text: "Approve a joint roadmap to bring bilateral trade to USD 10 billion", agencies: []string{"mti", "qaztrade"}, clauses: []string{"2.7"}},
			{text: "Agree the joint use of Syr Darya water during the growing season", agencies: []string{"mwr"}, clauses: []string{"3.17"}},
			{text: "Open the Darbaza–Maktaaral railway line for freight traffic", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8"}, value: 250},
			{text: "Introduce an electronic queue at the Zhibek Zholy and Kazygurt border checkpoints", agencies: []string{"mf", "mti"}, sector: "transport_logistics", clauses: []string{"2.8", "2.9"}},
			{text: "Set up a joint textile cluster in Turkestan region", agencies: []string{"mic", "kazakh-invest", "akimats"}, sector: "light_industry", clauses: []string{"2.2", "2.5"}, value: 80, invest: true},
			{text: "Agree mutual recognition of veterinary certificates for meat and dairy products", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.7"}},
			{text: "Launch a joint agro-logistics hub for fruit and vegetables in Shymkent", agencies: []string{"moa", "kazakh-invest"}, sector: "agro_industrial", clauses: []string{"2.2", "2.13"}, value: 45, invest: true},
			{text: "Organise the Kazakh–Uzbek interregional forum in Turkestan", agencies: []string{"mfa", "akimats"}, clauses: []string{"2.9"}},
			{text: "Increase direct flights Almaty–Samarkand and Astana–Tashkent to a daily service", agencies: []string{"mtr", "mts"}, sector: "tourism", clauses: []string{"2.8"}},
			{text: "Create a joint investment company with a capital of USD 100 million", agencies: []string{"baiterek", "mf"}, clauses: []string{"2.2"}, value: 100},
			{text: "Localise the assembly of agricultural machinery for the Uzbek market at a Kostanay plant", agencies: []string{"mic"}, sector: "machine_building", clauses: []string{"2.5", "2.7"}, invest: true},
		},
	},
	{
		id: "igc-tm", country: "TM", name: "Kazakhstan–Turkmenistan Intergovernmental Commission on Economic, Scientific, Technical and Cultural Cooperation",
		kzChair: "Deputy Prime Minister Roman Sklyar", partnerChair: "Deputy Chairman of the Cabinet of Ministers Batyr Atdaev", secretariat: "mfa",
		adj: "Turkmen", countryName: "Turkmenistan", capital: "Ashgabat", currency: "USD",
		sessions: []sessionSpec{
			{number: 11, year: 2021, m1: 12, m2: 12, place: "Ashgabat"},
			{number: 12, date: "2023-05-15", place: "Astana"},
			{number: 13, year: 2025, m1: 9, m2: 11, place: "Ashgabat"},
		},
		items: []item{
			{text: "Raise freight on the Kazakhstan–Turkmenistan–Iran railway to 1 million tonnes a year", agencies: []string{"ktz", "mtr"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Open a Kazakh trade house in Ashgabat", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
			{text: "Agree through tariffs for Kazakh grain in transit via the port of Turkmenbashi", agencies: []string{"mtr", "moa"}, sector: "transport_logistics", clauses: []string{"2.8", "2.13"}},
			{text: "Study the supply of Turkmen natural gas to the southern regions of Kazakhstan", agencies: []string{"moe", "kmg"}, clauses: []string{"2.10"}},
			{text: "Open a distribution centre for Kazakh flour and grain in Turkmenbashi", agencies: []string{"moa", "qaztrade"}, sector: "agro_industrial", clauses: []string{"2.7", "2.13"}, value: 12},
			{text: "Agree a joint programme of environmental monitoring of the Caspian Sea", agencies: []string{"meco"}, clauses: []string{"3.19"}},
			{text: "Create a border trade zone at the Temirbaba–Serhetyaka crossing", agencies: []string{"mti", "mf"}, clauses: []string{"2.9"}},
			{text: "Supply Kazakh-made freight railcars to Turkmen railways", agencies: []string{"mic", "ktz"}, sector: "machine_building", clauses: []string{"2.7"}, value: 40},
			{text: "Modernise the Bolashak–Serhetyaka border railway station", agencies: []string{"ktz"}, sector: "transport_logistics", clauses: []string{"2.8", "2.9"}, value: 18},
			{text: "Agree a joint tourist route along the Great Silk Road through Mangystau and Balkan regions", agencies: []string{"mts", "akimats"}, sector: "tourism", clauses: []string{"2.9"}},
		},
	},
	{
		id: "igc-kg", country: "KG", name: "Kazakh–Kyrgyz Intergovernmental Council",
		kzChair: "Prime Minister", partnerChair: "Chairman of the Cabinet of Ministers", secretariat: "mti",
		adj: "Kyrgyz", countryName: "Kyrgyzstan", capital: "Bishkek", currency: "USD",
		sessions: []sessionSpec{
			{number: 10, year: 2021, m1: 6, m2: 8, place: "Bishkek"},
			{number: 11, year: 2023, m1: 9, m2: 9, place: "Taraz"},
			{number: 12, year: 2026, m1: 10, m2: 10, place: "Cholpon-Ata"},
		},
		items: []item{
			{text: "Agree the shareholder structure of the Kambarata-1 hydropower plant project", agencies: []string{"moe", "mwr"}, clauses: []string{"2.10", "3.17"}, value: 600},
			{text: "Open a wholesale and logistics centre at the Karasu–Ak-Tilek border crossing", agencies: []string{"mti", "akimats"}, sector: "transport_logistics", clauses: []string{"2.9", "2.8"}, value: 25, invest: true},
			{text: "Agree water deliveries from the Chu and Talas rivers for the growing season", agencies: []string{"mwr"}, clauses: []string{"3.17"}},
			{text: "Supply Kazakh wheat and flour to the Kyrgyz state reserve", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.13", "2.7"}},
			{text: "Launch joint tourist routes around Lake Issyk-Kul and the Almaty mountains", agencies: []string{"mts"}, sector: "tourism", clauses: []string{"2.9", "3.5"}},
			{text: "Sign the regional agreements of the interregional cooperation forum (USD 65 million)", agencies: []string{"akimats", "mti"}, clauses: []string{"2.9"}, value: 65},
			{text: "Set up a joint venture for construction materials in Zhambyl region", agencies: []string{"mic", "kazakh-invest"}, sector: "construction_materials", clauses: []string{"2.2", "2.5"}, value: 30, invest: true},
			{text: "Supply Kazakh coal to the Bishkek combined heat and power plant for the heating season", agencies: []string{"moe", "samruk"}, sector: "mining", clauses: []string{"2.10"}},
			{text: "Simplify veterinary controls for livestock products at the border", agencies: []string{"moa", "mf"}, sector: "agro_industrial", clauses: []string{"2.7"}},
			{text: "Reopen the Almaty–Cholpon-Ata bus route and extend checkpoint opening hours", agencies: []string{"mtr", "mia"}, clauses: []string{"2.8", "3.5"}},
		},
	},
	{
		id: "igc-mn", country: "MN", name: "Kazakhstan–Mongolia Intergovernmental Commission on Trade, Economic, Scientific and Technical Cooperation",
		kzChair: "Minister of Labour and Social Protection Madina Abylkassymova", partnerChair: "Minister of Labour and Social Protection S. Chinzorig", secretariat: "mfa",
		adj: "Mongolian", countryName: "Mongolia", capital: "Ulaanbaatar", currency: "USD",
		sessions: []sessionSpec{
			{number: 8, year: 2022, m1: 5, m2: 7, place: "Ulaanbaatar"},
			{number: 9, year: 2024, m1: 9, m2: 11, place: "Astana"},
		},
		items: []item{
			{text: "Open a direct flight Astana–Ulaanbaatar", agencies: []string{"mtr"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Supply Kazakh wheat and flour to Mongolia under a long-term contract", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.7", "2.13"}},
			{text: "Develop the transit of Mongolian goods through Kazakhstan to Central Asia", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Agree mutual recognition of veterinary certificates for livestock products", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.7"}},
			{text: "Hold Days of Kazakh culture in Bayan-Ölgii aimag", agencies: []string{"mcs"}, clauses: []string{"3.7"}},
			{text: "Award 50 university grants a year to students from Mongolia", agencies: []string{"mse"}, sector: "education", clauses: []string{"3.7"}},
			{text: "Set up a joint venture for wool and cashmere processing", agencies: []string{"mic", "kazakh-invest"}, sector: "light_industry", clauses: []string{"2.2", "2.5"}, value: 15},
			{text: "Exchange geological data on copper and coal deposits in the border regions", agencies: []string{"mic", "meco"}, sector: "mining", clauses: []string{"2.2"}},
		},
	},
	{
		id: "igc-hu", country: "HU", name: "Kazakh–Hungarian Intergovernmental Commission on Economic Cooperation",
		kzChair: "Minister of National Economy Timur Suleimenov", partnerChair: "Deputy Prime Minister and Minister of Finance Mihály Varga", secretariat: "mne",
		adj: "Hungarian", countryName: "Hungary", capital: "Budapest", currency: "EUR",
		sessions: []sessionSpec{
			{number: 7, year: 2021, m1: 10, m2: 11, place: "Astana"},
			{number: 8, year: 2024, m1: 4, m2: 6, place: "Budapest"},
		},
		items: []item{
			{text: "Open a Hungarian Eximbank credit line for Kazakh industrial projects", agencies: []string{"baiterek", "mf"}, clauses: []string{"2.2"}, value: 100},
			{text: "Set up a joint venture for vaccine production", agencies: []string{"mh", "kazakh-invest"}, sector: "health_care", clauses: []string{"2.2", "2.3", "3.20"}, value: 35},
			{text: "Pilot Hungarian drip irrigation technology in Turkestan region", agencies: []string{"mwr", "moa"}, sector: "agro_industrial", clauses: []string{"2.4", "2.3"}},
			{text: "Set up a Kazakh–Hungarian agricultural demonstration farm", agencies: []string{"moa"}, sector: "agro_industrial", clauses: []string{"2.3"}, value: 5},
			{text: "Award 250 Stipendium Hungaricum scholarships a year to Kazakh students", agencies: []string{"mse"}, sector: "education", clauses: []string{"3.7"}},
			{text: "Open a Kazakh trade house in Budapest", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
			{text: "Open a direct flight Astana–Budapest", agencies: []string{"mtr"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Extend MOL Group's exploration on the Fedorovsky block", agencies: []string{"moe", "kmg"}, sector: "mining", clauses: []string{"2.2", "2.10"}},
		},
	},
	{
		id: "igc-de", country: "DE", name: "Kazakhstan–Germany Intergovernmental Working Group for Trade and Economic Cooperation",
		kzChair: "Vice Minister of Investments and Development Albert Rau", partnerChair: "Eckhard Franz, Federal Ministry for Economic Affairs and Energy", secretariat: "mfa",
		adj: "German", countryName: "Germany", capital: "Berlin", currency: "EUR",
		sessions: []sessionSpec{
			{number: 12, year: 2020, m1: 2, m2: 3, place: "Berlin"},
			{number: 13, year: 2023, m1: 3, m2: 5, place: "Astana"},
			{number: 14, year: 2026, m1: 5, m2: 8, place: "Berlin"},
		},
		items: []item{
			{text: "Prepare the investment agreement for a green hydrogen project in Mangystau region", agencies: []string{"moe", "kazakh-invest"}, clauses: []string{"2.4", "2.10"}, invest: true},
			{text: "Agree a raw materials partnership: joint exploration of rare earth metals", agencies: []string{"mic", "meco"}, sector: "mining", clauses: []string{"2.2", "2.5"}, invest: true},
			{text: "Open a German–Kazakh dual vocational training centre for machine building", agencies: []string{"mep", "mic"}, sector: "education", clauses: []string{"2.3", "3.7"}},
			{text: "Localise the production of agricultural machinery components with a German manufacturer in Kostanay", agencies: []string{"mic", "kazakh-invest"}, sector: "machine_building", clauses: []string{"2.2", "2.3"}, value: 60, invest: true},
			{text: "Increase rail freight to Europe via the Trans-Caspian International Transport Route", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Agree Euler Hermes export credit cover for German equipment supplied to Kazakh projects", agencies: []string{"mf", "baiterek"}, clauses: []string{"2.2"}},
			{text: "Modernise district heating in Pavlodar with German technology", agencies: []string{"moe", "akimats"}, clauses: []string{"2.4", "2.3"}, value: 45},
			{text: "Localise insulin production with a German pharmaceutical company", agencies: []string{"mh", "kazakh-invest"}, sector: "health_care", clauses: []string{"2.2", "2.3"}, value: 25, invest: true},
			{text: "Open new engineering programmes at the German–Kazakh University", agencies: []string{"mse"}, sector: "education", clauses: []string{"3.7"}},
			{text: "Build a feed additives plant in North Kazakhstan region with a German investor", agencies: []string{"kazakh-invest", "moa"}, sector: "agro_industrial", clauses: []string{"2.2"}, value: 40, invest: true},
		},
	},
	{
		id: "igc-tr", country: "TR", name: "Kazakh–Turkish Intergovernmental Economic Commission",
		kzChair: "Deputy Prime Minister", partnerChair: "Minister of Trade", secretariat: "mti",
		adj: "Turkish", countryName: "Türkiye", capital: "Ankara", currency: "USD",
		sessions: []sessionSpec{
			{number: 11, year: 2021, m1: 3, m2: 5, place: "Ankara"},
			{number: 12, year: 2023, m1: 10, m2: 11, place: "Astana"},
			{number: 13, year: 2026, m1: 4, m2: 7, place: "Ankara"},
		},
		items: []item{
			{text: "Approve a joint action plan to bring bilateral trade to USD 10 billion", agencies: []string{"mti", "qaztrade"}, clauses: []string{"2.7"}},
			{text: "Set up an industrial zone for Turkish textile companies in Turkestan region", agencies: []string{"mic", "kazakh-invest", "akimats"}, sector: "light_industry", clauses: []string{"2.2", "2.5"}, value: 90, invest: true},
			{text: "Open a Kazakh trade house in Istanbul", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
			{text: "Create a joint logistics company for container transit across the Caspian (Middle Corridor)", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8"}, value: 50},
			{text: "Build a multi-profile hospital in Shymkent with a Turkish company under a PPP", agencies: []string{"mh", "akimats"}, sector: "health_care", clauses: []string{"2.2", "3.20"}, value: 140, invest: true},
			{text: "Launch joint production of home appliances in Almaty region", agencies: []string{"mic", "kazakh-invest"}, sector: "machine_building", clauses: []string{"2.2", "2.5"}, value: 35, invest: true},
			{text: "Agree the mutual recognition of halal certificates", agencies: []string{"moa", "mti"}, sector: "agro_industrial", clauses: []string{"2.7"}},
			{text: "Attract a Turkish investor for a resort on Lake Alakol", agencies: []string{"mts", "kazakh-invest"}, sector: "tourism", clauses: []string{"2.2"}, value: 20, invest: true},
			{text: "Build a glass container factory in Kyzylorda region with a Turkish partner", agencies: []string{"mic"}, sector: "construction_materials", clauses: []string{"2.2"}, value: 55, invest: true},
			{text: "Raise Kazakh wheat and barley exports to Türkiye under the tariff quota", agencies: []string{"moa", "qaztrade"}, sector: "agro_industrial", clauses: []string{"2.7"}},
		},
	},
	{
		id: "igc-ae", country: "AE", name: "Kazakh–Emirati Intergovernmental Commission",
		kzChair: "Deputy Prime Minister", partnerChair: "Minister of State", secretariat: "mfa",
		adj: "Emirati", countryName: "the United Arab Emirates", capital: "Abu Dhabi", currency: "USD",
		sessions: []sessionSpec{
			{number: 7, year: 2021, m1: 11, m2: 12, place: "Abu Dhabi"},
			{number: 8, year: 2024, m1: 2, m2: 4, place: "Astana"},
		},
		items: []item{
			{text: "Sign the investment agreement for a 1 GW wind farm with Masdar", agencies: []string{"moe", "kazakh-invest"}, clauses: []string{"2.2", "2.4"}, value: 1200, invest: true},
			{text: "Develop a container hub at the port of Aktau with DP World", agencies: []string{"mtr", "kazakh-invest"}, sector: "transport_logistics", clauses: []string{"2.8", "2.2"}, value: 180, invest: true},
			{text: "Set up a joint investment platform for agro-industrial projects", agencies: []string{"baiterek", "moa"}, sector: "agro_industrial", clauses: []string{"2.2", "2.13"}, value: 250, invest: true},
			{text: "Agree halal certification requirements for Kazakh meat exports to the UAE", agencies: []string{"moa", "mti"}, sector: "agro_industrial", clauses: []string{"2.7", "2.13"}},
			{text: "Sign a cooperation agreement between AIFC and Abu Dhabi Global Market on fintech", agencies: []string{"aifc"}, clauses: []string{"2.11"}},
			{text: "Increase direct flights Astana–Abu Dhabi and Almaty–Dubai", agencies: []string{"mtr", "mts"}, sector: "tourism", clauses: []string{"2.8"}},
			{text: "Build a data centre in Astana with an Emirati investor", agencies: []string{"mdai", "kazakh-invest"}, clauses: []string{"2.3"}, value: 75, invest: true},
			{text: "Open a Kazakh trade house in Dubai", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
		},
	},
	{
		id: "igc-pk", country: "PK", name: "Kazakh–Pakistani Intergovernmental Joint Commission on Trade, Economic, Scientific, Technical and Cultural Cooperation",
		kzChair: "Minister of Trade and Integration", partnerChair: "Federal Minister for Commerce", secretariat: "mti",
		adj: "Pakistani", countryName: "Pakistan", capital: "Islamabad", currency: "USD",
		sessions: []sessionSpec{
			{number: 9, date: "2020-02-27", place: "Islamabad"},
			{number: 10, year: 2024, m1: 5, m2: 7, place: "Astana"},
		},
		items: []item{
			{text: "Prepare a feasibility study of the Termez–Mazar-i-Sharif–Peshawar railway corridor", agencies: []string{"mtr", "ktz"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Agree the use of the ports of Karachi and Gwadar for Kazakh transit cargo", agencies: []string{"mtr", "mfa"}, sector: "transport_logistics", clauses: []string{"2.8"}},
			{text: "Raise Kazakh wheat and flour exports to Pakistan", agencies: []string{"moa", "qaztrade"}, sector: "agro_industrial", clauses: []string{"2.7", "2.13"}},
			{text: "Set up a pharmaceutical joint venture in Shymkent", agencies: []string{"mh", "kazakh-invest"}, sector: "health_care", clauses: []string{"2.2"}, value: 20},
			{text: "Supply Pakistani cotton yarn to Kazakh textile mills under long-term contracts", agencies: []string{"mic"}, sector: "light_industry", clauses: []string{"2.5"}},
			{text: "Open direct flights Almaty–Lahore and Almaty–Islamabad", agencies: []string{"mtr"}, clauses: []string{"2.8"}},
			{text: "Negotiate a bilateral transit trade agreement", agencies: []string{"mti", "mfa"}, clauses: []string{"2.8", "2.12"}},
			{text: "Hold a meeting of the Joint Business Council in Almaty", agencies: []string{"qaztrade"}, clauses: []string{"2.7"}},
		},
	},
}

// generic items fit any commission.
var genericItems = []item{
	{text: "Hold a Kazakh–{A} business forum with B2B meetings in {C}", agencies: []string{"mti", "qaztrade", "kazakh-invest"}, clauses: []string{"2.7", "2.2"}},
	{text: "Update the list of priority joint investment projects and report to the co-chairs", agencies: []string{"kazakh-invest", "mfa"}, clauses: []string{"2.2"}},
	{text: "Agree the protocol amending the convention on the avoidance of double taxation with {N}", agencies: []string{"mf"}, clauses: []string{"2.2", "2.6"}},
	{text: "Reconcile the mutual trade statistics with the {A} side every quarter", agencies: []string{"mti", "mne"}, clauses: []string{"2.7", "2.12"}},
	{text: "Prepare a roadmap to expand non-raw exports to {N}", agencies: []string{"qaztrade", "mti"}, clauses: []string{"2.7"}},
	{text: "Organise a trade mission of Kazakh food producers to {C}", agencies: []string{"qaztrade", "moa"}, sector: "agro_industrial", clauses: []string{"2.7"}},
	{text: "Set up a subcommission on investment cooperation", agencies: []string{"kazakh-invest", "mfa"}, clauses: []string{"2.2"}},
	{text: "Hold Days of Kazakh culture in {C}", agencies: []string{"mcs", "mfa"}, clauses: []string{"3.7"}},
	{text: "Agree a programme of cooperation in education and science with {N}", agencies: []string{"mse", "mep"}, sector: "education", clauses: []string{"3.7"}},
	{text: "Sign a memorandum on cooperation in health care and pharmaceutical regulation", agencies: []string{"mh"}, sector: "health_care", clauses: []string{"3.20"}},
	{text: "Launch the electronic exchange of preliminary customs information on goods", agencies: []string{"mf", "mdai"}, clauses: []string{"2.3", "2.12"}},
	{text: "Hold a roadshow of Kazakhstan's tourism in {C}", agencies: []string{"mts"}, sector: "tourism", clauses: []string{"3.10"}},
	{text: "Sign a memorandum between Kazakh Invest and the {A} investment promotion agency", agencies: []string{"kazakh-invest"}, clauses: []string{"2.2"}},
	{text: "Agree a programme of cooperation in digitalisation and e-government", agencies: []string{"mdai"}, clauses: []string{"2.3", "3.9"}},
	{text: "Hold a conference of the regions of Kazakhstan and {N}", agencies: []string{"akimats", "mfa"}, clauses: []string{"2.9"}},
	{text: "Agree a memorandum on emergency response and disaster relief", agencies: []string{"mia"}, clauses: []string{"3.16"}},
}

// CommissionIDs lists the ids of the demo commissions, in the order they are created.
func CommissionIDs() []string {
	out := make([]string, len(partners))
	for i, p := range partners {
		out[i] = p.id
	}
	return out
}

var (
	inProgressComments = []string{
		"Interagency working group formed; action plan approved",
		"Terms of reference agreed with the {A} side",
		"Letter sent to the {A} co-chair's office; talks started",
		"Responsible agency appointed; first expert meeting held in {C}",
		"Draft document prepared and sent to the {A} side for comments",
		"Joint working group met by video conference; work plan agreed",
	}
	doneComments = []string{
		"Completed; report sent to the secretariat",
		"Completed; confirmed by the {A} side in writing",
		"Completed; results reported at the working group meeting",
		"Completed; report to the Government of Kazakhstan submitted",
		"Agreed with the {A} side; implementation confirmed by the responsible agency",
	}
	lateComments = []string{
		"Completed with a delay: the {A} side's internal approvals took longer than planned",
		"Completed late: the draft needed a second round of talks",
		"Completed with a delay: the responsible agency was reorganised",
		"Completed after the deadline: the interagency approval took longer than planned",
	}
	lateProjectComments = []string{
		"Completed after the deadline: financing was approved later than planned",
		"Completed with a delay: land allocation and permits took longer than planned",
		"Completed late: the investor revised the project's terms",
		"Completed with a delay: the {A} side's internal approvals took longer than planned",
	}
	cancelComments = []string{
		"Cancelled: superseded by a decision of the next session",
		"Cancelled at the {A} side's request: the matter is covered by another agreement",
		"Cancelled by the co-chairs: merged into the commission's roadmap",
	}
	cancelProjectComments = []string{
		"Cancelled by the co-chairs: the investor withdrew from the project",
		"Cancelled: the {A} side did not confirm financing",
		"Cancelled: the feasibility study found the project not viable",
	}
)

type plannedStatus struct {
	to       domain.Status
	on       time.Time
	comment  string
	evidence string
}

// GenerateCommissions returns the demo commissions, their protocols and the
// later life of every decision, the same for the same seed, leads and today
// (in Astana, as kernel.Today gives it). Nothing happens after today: a
// session or status change that would fall later is left out, so recent
// decisions stay open or in progress. Decisions of a partner that investors
// in leads come from link to a few of those leads (by index into leads).
func GenerateCommissions(seed uint64, today kernel.Day, leads []Lead) []Commission {
	r := rand.New(rand.NewPCG(seed^0xc0331551, seed+0x1c5))
	lr := rand.New(rand.NewPCG(seed^0x11e4d5, seed+0x7))
	now, err := time.Parse(time.DateOnly, today.String())
	if err != nil {
		panic("demo: no today")
	}
	usedLeads := map[int]bool{}
	out := make([]Commission, 0, len(partners))
	for _, p := range partners {
		repl := strings.NewReplacer("{A}", p.adj, "{N}", p.countryName, "{C}", p.capital)
		c := Commission{Request: httpapi.CommissionRequest{ID: p.id, Name: p.name, PartnerCountry: p.country,
			KazakhCoChair: p.kzChair, SecretariatAgency: p.secretariat, PartnerCoChair: p.partnerChair}}
		own := shuffled(r, p.items)
		generic := shuffled(r, genericItems)
		type pick struct {
			session, decision int
			it                item
		}
		var candidates []pick
		for si, spec := range p.sessions {
			date := sessionDate(r, spec)
			n := 4 + r.IntN(9)
			left := len(p.sessions) - si - 1
			n = min(n, len(own)+len(generic)-4*left)
			k := min(len(own), (n*3+4)/5)
			if left > 0 {
				k = min(k, len(own)-2*left) // keep some of the partner's own items for later sessions
			}
			k = max(k, 0)
			var its []item
			its, own = append(its, own[:k]...), own[k:]
			g := min(n-k, len(generic))
			its, generic = append(its, generic[:g]...), generic[g:]
			r.Shuffle(len(its), func(i, j int) { its[i], its[j] = its[j], its[i] })

			// Draw everything before deciding what lies in the future, so a
			// later day changes nothing but what is cut off.
			s := Session{Request: httpapi.ProtocolRequest{Number: spec.number, Date: date.Format(time.DateOnly), Place: spec.place,
				ProtocolRef: fmt.Sprintf("IGC-%s-%d", p.country, spec.number)}}
			for di, it := range its {
				months := []int{2, 3, 3, 4, 6, 6, 6, 9, 9, 12, 12, 12, 12, 18}[r.IntN(14)]
				deadline := time.Date(date.Year(), date.Month()+time.Month(months)+1, 0, 0, 0, 0, 0, time.UTC)
				d := httpapi.DecisionRequest{Item: strconv.Itoa(di + 1), Text: repl.Replace(it.text), Agencies: it.agencies,
					Deadline: deadline.Format(time.DateOnly), Sector: it.sector, Clauses: it.clauses}
				if it.value > 0 {
					cur := cmp.Or(it.currency, p.currency)
					amount := it.value * int64(80+r.IntN(41)) / 100
					if amount < 10 {
						amount = it.value
					}
					d.Value = &httpx.MoneyJSON{Amount: httpx.NumberText(strconv.FormatInt(amount*1_000_000, 10)), Currency: cur}
				}
				var changes []Change
				for _, st := range statusPlan(r, repl, it.invest || it.value > 0, date, deadline) {
					if st.on.After(now) {
						break
					}
					changes = append(changes, Change{Status: st.to, EffectiveOn: st.on.Format(time.DateOnly), Comment: st.comment, EvidenceRef: st.evidence})
				}
				s.Request.Decisions = append(s.Request.Decisions, d)
				s.Changes = append(s.Changes, changes)
			}
			if date.After(now) {
				continue // not held yet on this day
			}
			for di, changes := range s.Changes {
				if st := statusAfter(changes); st == domain.InProgress || st == domain.Done {
					candidates = append(candidates, pick{len(c.Sessions), di, its[di]})
				}
			}
			c.Sessions = append(c.Sessions, s)
		}
		// Links: a few decisions that got going (investment projects first)
		// led to leads of investors from the partner country.
		var pool []int
		for i, l := range leads {
			if l.Request.InvestorCountry == p.country && !usedLeads[i] && l.Lost == "" {
				pool = append(pool, i)
			}
		}
		lr.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		slices.SortStableFunc(candidates, func(a, b pick) int {
			ai, bi := a.it.invest, b.it.invest
			switch {
			case ai && !bi:
				return -1
			case bi && !ai:
				return 1
			}
			return 0
		})
		links := 0
		for _, cand := range candidates {
			if links == 3 || len(pool) == 0 {
				break
			}
			if !cand.it.invest && links >= 2 {
				break
			}
			// A lead in the decision's sector if there is one, else any.
			at := -1
			for j, li := range pool {
				if cand.it.sector != "" && leads[li].Request.Sector == cand.it.sector {
					at = j
					break
				}
			}
			if at < 0 {
				at = lr.IntN(len(pool))
			}
			li := pool[at]
			pool = slices.Delete(pool, at, at+1)
			usedLeads[li] = true
			ch := &c.Sessions[cand.session].Changes[cand.decision]
			*ch = append(*ch, Change{Lead: li})
			links++
		}
		out = append(out, c)
	}
	return out
}

func shuffled(r *rand.Rand, items []item) []item {
	out := slices.Clone(items)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sessionDate(r *rand.Rand, s sessionSpec) time.Time {
	if s.date != "" {
		d, err := time.Parse(time.DateOnly, s.date)
		if err != nil {
			panic("demo: bad session date " + s.date)
		}
		return d
	}
	m := s.m1 + r.IntN(s.m2-s.m1+1)
	return time.Date(s.year, time.Month(m), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
}

// oldDeadlines: decisions due before this day are mostly settled. A fixed day,
// not one relative to today, so a later day only adds what happened since.
var oldDeadlines = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)

// statusPlan is what becomes of one decision, with no regard to today: the
// caller cuts off what lies after it. Old decisions are mostly done (on time
// or late) and a few cancelled or stuck; newer ones more often still running.
func statusPlan(r *rand.Rand, repl *strings.Replacer, project bool, session, deadline time.Time) []plannedStatus {
	pickText := func(list []string) string { return repl.Replace(list[r.IntN(len(list))]) }
	start := session.AddDate(0, 0, 7+r.IntN(39)) // 7 to 45 days after the session
	startNote := pickText(inProgressComments)
	roll := r.IntN(100)
	late := 3 + r.IntN(28)
	switch x := r.IntN(10); {
	case x >= 9:
		late = 121 + r.IntN(120)
	case x >= 6:
		late = 31 + r.IntN(90)
	}
	early := r.IntN(1000) // per mille of the time it may be done early by: up to half the time, at most 120 days
	cancelAfter := 20 + r.IntN(180)
	cancelFromOpen := r.IntN(10) < 3
	lates, cancels := lateComments, cancelComments
	if project {
		lates, cancels = lateProjectComments, cancelProjectComments
	}
	doneNote, lateNote, cancelNote := pickText(doneComments), pickText(lates), pickText(cancels)
	var startEvidence, endEvidence string
	if r.IntN(10) < 3 {
		startEvidence = evidenceRef(r)
	}
	if r.IntN(10) < 6 {
		endEvidence = evidenceRef(r)
	}

	onTime, doneLate, cancelled, stuck := 45, 70, 78, 90 // cumulative: the rest stays open
	if deadline.Before(oldDeadlines) {
		onTime, doneLate, cancelled, stuck = 50, 82, 92, 98
	}
	inProgress := plannedStatus{domain.InProgress, start, startNote, startEvidence}
	switch {
	case roll < onTime:
		span := int(deadline.Sub(start).Hours() / 24) // at least 14: deadlines are 2 months or more after the session
		doneOn := deadline.AddDate(0, 0, -early*min(120, span/2)/1000)
		return []plannedStatus{inProgress, {domain.Done, doneOn, doneNote, endEvidence}}
	case roll < doneLate:
		return []plannedStatus{inProgress, {domain.Done, deadline.AddDate(0, 0, late), lateNote, endEvidence}}
	case roll < cancelled:
		on := start.AddDate(0, 0, cancelAfter)
		if cancelFromOpen {
			return []plannedStatus{{domain.Cancelled, on, cancelNote, endEvidence}}
		}
		return []plannedStatus{inProgress, {domain.Cancelled, on, cancelNote, endEvidence}}
	case roll < stuck:
		return []plannedStatus{inProgress}
	}
	return nil
}

func evidenceRef(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("protocol of the working group No %d", 1+r.IntN(12))
	case 1:
		return fmt.Sprintf("order No %d", 50+r.IntN(400))
	}
	return fmt.Sprintf("letter No %d-%d/%d", 10+r.IntN(30), 1+r.IntN(9), 100+r.IntN(900))
}

// CommissionLoader sends demo commissions to the commissions API: an
// administrator creates each commission, its secretariat records the
// protocols and then the status changes and links.
type CommissionLoader struct {
	BaseURL    string
	AdminToken string
	TokenFor   func(commissionID string) (string, bool) // the token of the commission's secretariat
	Client     *http.Client
	Progress   func(done, total int)
}

// CommissionSummary counts what a load did.
type CommissionSummary struct {
	Commissions, CommissionsExisting int // created; there already (skipped)
	Protocols, ProtocolsReplayed     int // recorded; recorded by an earlier load (same idempotency key)
	StatusChanges, Links             int
	DecisionsSkipped                 int // changed by someone else since: left alone
}

// Load creates the commissions (an existing one is skipped), records every
// protocol with an idempotency key derived from the seed, the commission and
// the session number, and applies each decision's changes. A replayed
// protocol returns its decisions as they are now: a decision at version v has
// had its first v-1 changes already, so only the rest are applied (a decision
// still at version 1 gets them all; a completed load applies nothing). leads
// are the leads Loader.Load created from the leads the commissions were
// generated with.
func (l *CommissionLoader) Load(ctx context.Context, seed uint64, commissions []Commission, leads []CreatedLead) (CommissionSummary, error) {
	var sum CommissionSummary
	if l.Client == nil {
		l.Client = &http.Client{Timeout: 30 * time.Second}
	}
	total, done := 0, 0
	for _, c := range commissions {
		total++
		for _, s := range c.Sessions {
			total++
			for _, ch := range s.Changes {
				total += len(ch)
			}
		}
	}
	tick := func(n int) {
		done += n
		if l.Progress != nil && n > 0 {
			l.Progress(done, total)
		}
	}
	for _, c := range commissions {
		cid := c.Request.ID
		var created httpapi.CommissionJSON
		_, err := callAPI(ctx, l.Client, l.BaseURL, l.AdminToken, http.MethodPost, "/api/v1/commissions", "", c.Request, &created)
		var apiErr *APIError
		switch {
		case err == nil:
			sum.Commissions++
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict:
			sum.CommissionsExisting++ // created by an earlier load
		default:
			return sum, fmt.Errorf("demo commission %s: create: %w", cid, err)
		}
		tick(1)
		tok, ok := l.TokenFor(cid)
		if !ok {
			return sum, fmt.Errorf("demo commission %s: no secretariat token (secretariat.%s)", cid, cid)
		}
		base := "/api/v1/commissions/" + cid
		for _, s := range c.Sessions {
			key := fmt.Sprintf("demo-%d-%s-%d", seed, cid, s.Request.Number)
			var p httpapi.ProtocolJSON
			hdr, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, base+"/sessions", key, s.Request, &p)
			if err != nil {
				return sum, fmt.Errorf("demo commission %s: session %d: %w", cid, s.Request.Number, err)
			}
			if hdr.Get("Idempotent-Replayed") == "true" {
				sum.ProtocolsReplayed++
			} else {
				sum.Protocols++
			}
			tick(1)
			byItem := map[string]httpapi.DecisionJSON{}
			for _, d := range p.Decisions {
				byItem[d.Item] = d
			}
			for i, changes := range s.Changes {
				d, ok := byItem[s.Request.Decisions[i].Item]
				applied := d.Version - 1
				if !ok || applied > len(changes) || statusAfter(changes[:applied]) != domain.Status(d.Status) {
					sum.DecisionsSkipped++
					tick(len(changes))
					continue
				}
				tick(applied)
				for _, ch := range changes[applied:] {
					v := d.Version
					if ch.IsLink() {
						if ch.Lead >= len(leads) {
							return sum, fmt.Errorf("demo commission %s: decision %s: lead %d was not created", cid, d.Item, ch.Lead)
						}
						req := httpapi.LinkRequest{Version: &v, Kind: "lead", TargetID: leads[ch.Lead].ID}
						if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, base+"/decisions/"+d.ID+"/links", "", req, &d); err != nil {
							return sum, fmt.Errorf("demo commission %s: decision %s: link: %w", cid, d.Item, err)
						}
						sum.Links++
					} else {
						req := httpapi.StatusRequest{Version: &v, Status: string(ch.Status), EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, EvidenceRef: ch.EvidenceRef}
						if _, err := callAPI(ctx, l.Client, l.BaseURL, tok, http.MethodPost, base+"/decisions/"+d.ID+"/status", "", req, &d); err != nil {
							return sum, fmt.Errorf("demo commission %s: decision %s: %s: %w", cid, d.Item, ch.Status, err)
						}
						sum.StatusChanges++
					}
					tick(1)
				}
			}
		}
	}
	return sum, nil
}

// statusAfter is a decision's status after changes.
func statusAfter(changes []Change) domain.Status {
	st := domain.Open
	for _, c := range changes {
		if !c.IsLink() {
			st = c.Status
		}
	}
	return st
}
