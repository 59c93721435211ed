package match

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed default_rules.yaml
var defaultRulesYAML []byte

var (
	defaultOnce  sync.Once
	defaultRules *Rules
)

// DefaultRules returns the embedded default rule set, parsed once.
// It panics if the embedded file is invalid (a build defect caught by tests).
func DefaultRules() *Rules {
	defaultOnce.Do(func() {
		r, err := ParseRules(defaultRulesYAML)
		if err != nil {
			panic("match: embedded default_rules.yaml: " + err.Error())
		}
		defaultRules = r
	})
	return defaultRules
}

// DefaultRulesYAML returns a copy of the embedded default rules file.
func DefaultRulesYAML() []byte {
	return append([]byte(nil), defaultRulesYAML...)
}

// RuleError reports a fault in a rules file. Line and Column are 1-based
// positions in the YAML; Column is 0 when the YAML parser reports only a line.
type RuleError struct {
	Line, Column int
	Msg          string
}

func (e *RuleError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// LoadRules reads and parses a rules file. Errors carry the path; a fault
// in the content unwraps (errors.As) to *RuleError.
func LoadRules(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules file %s: %w", path, err)
	}
	r, err := ParseRules(data)
	if err != nil {
		return nil, fmt.Errorf("rules file %s: %w", path, err)
	}
	return r, nil
}

// Names returns the services' rule names in file order.
func (r *Rules) Names() []string {
	names := make([]string, len(r.services))
	for i, s := range r.services {
		names[i] = s.Name
	}
	return names
}

// Services returns the services in file order.
func (r *Rules) Services() []Service {
	return append([]Service(nil), r.services...)
}

// Aliases returns the normalised aliases of a service (context aliases
// included, in file order), or nil for an unknown service.
func (r *Rules) Aliases(service string) []string {
	for i, s := range r.services {
		if s.Name == service {
			return append([]string(nil), r.aliases[i]...)
		}
	}
	return nil
}

// Related returns the other services with the same non-empty owner, sorted.
func (r *Rules) Related(service string) []string {
	owner := ""
	for _, s := range r.services {
		if s.Name == service {
			owner = s.Owner
		}
	}
	if owner == "" {
		return nil
	}
	var out []string
	for _, s := range r.services {
		if s.Owner == owner && s.Name != service {
			out = append(out, s.Name)
		}
	}
	sort.Strings(out)
	return out
}

// rawRules is the parsed, not yet compiled, content of a rules file.
type rawRules struct {
	outage, recovery, negations []string
	fine                        []string
	named                       []string
	potential                   []string
	cancels                     []string
	past, present, displace     []string
	arrive                      []string
	negators, postNegators      []string
	verbs, connectors, filler   []string
	adverbs                     []string
	conseq, causes              []string
	awaits                      []string // awaiting_terms
	awaitLangs                  map[string]uint64
	onlyMe                      []string // only_me_terms
	particles                   []string // question_particles
	conseqEndings               []string // consequence_endings
	clauseEndings               []string // clause_endings
	ownWork                     []string // own_work_terms
	together                    []string // together_terms
	ownSide                     []string // own_side_terms
	notName                     []string // not_name_terms
	platform                    []string // platform_terms
	suppose                     []string // supposition_terms
	with                        []string // with_terms
	problemNames                []string
	problems                    [][]string
	services                    []rawService
	// categories of services with outage and recovery words of their own, in
	// file order (their ids are 1 and up)
	categories []rawCategory
	// the languages each outage or recovery term is listed under (a bit per
	// language, numbered in langs), for aliases that are ordinary words in some
	// languages (words_in)
	termLangs map[string]uint64
	// namedLangs are the languages each name term is listed under: one of a
	// language in which a strict alias is no word names it ("Teams doet het
	// niet meer", "Teams wil niet meer"), as an outage term of such a language does.
	namedLangs map[string]uint64
	// the same for negators, post-negators and symptom verbs: a negator pairs
	// with a verb of its own language (or English, mixed into every language)
	pairLangs map[string]uint64
	// adverbLangs are the languages each adverb is listed under (a name term
	// counts through an adverb of its own language only)
	adverbLangs map[string]uint64
	langs       map[string]int
}

// rawCategory is one entry of categories: the outage and recovery terms of a
// kind of service (power companies), which count only for services of it.
type rawCategory struct {
	name             string
	outage, recovery []string
	posterSide       bool // its outage terms are the poster's own trouble for other services
	// outage terms said of apps as well ("blackout", "apagón", "outage map"):
	// they count for its services and are no post negation for others
	shared []string
	// words that, in a service's display name or aliases, make it one of the
	// category when it names none ("Duke Energy", "Perusahaan Listrik Negara")
	nameWords []string
}

type rawService struct {
	Service
	categoryAt *yaml.Node // where its category is named, for errors
	fuzzy      bool
	aliases    []string
	devices    []string // device_aliases: names of a device the others run on (PS5)
	ctx        []rawContext
}

type rawContext struct {
	alias   string
	context []string
	strict  bool
	wordsIn []string   // languages in which the alias is an ordinary word
	wordsAt *yaml.Node // where they are written, for errors
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// ParseRules parses and compiles a rules file (see the package doc for the
// schema). Faults are reported as *RuleError.
func ParseRules(data []byte) (*Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &RuleError{Line: line, Msg: m[2]}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, &RuleError{Line: 1, Msg: strings.Join(te.Errors, "; ")}
		}
		return nil, &RuleError{Line: 1, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &RuleError{Line: 1, Column: 1, Msg: "empty rules file"}
	}
	raw, err := parseRoot(doc.Content[0])
	if err != nil {
		return nil, err
	}
	return compile(raw), nil
}

func errAt(n *yaml.Node, format string, args ...any) *RuleError {
	return &RuleError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

func parseRoot(root *yaml.Node) (*rawRules, error) {
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "rules file must be a mapping")
	}
	raw := &rawRules{termLangs: map[string]uint64{}, namedLangs: map[string]uint64{}, pairLangs: map[string]uint64{}, adverbLangs: map[string]uint64{}, awaitLangs: map[string]uint64{}, langs: map[string]int{}}
	seen := map[string]bool{}
	lists := raw.termLists()
	var version *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, errAt(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "version":
			version = v
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return nil, errAt(v, "unsupported version %q (want 1)", v.Value)
			}
		case "problems":
			err = parseProblems(raw, v)
		case "services":
			err = parseServices(raw, v)
		case "categories":
			err = parseCategories(raw, v)
		default:
			l, ok := lists[k.Value]
			if !ok {
				return nil, errAt(k, "unknown key %q", k.Value)
			}
			if *l.dst, err = termList(v); err == nil && l.langs != nil {
				err = raw.noteLangs(v, l.langs)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if version == nil {
		return nil, errAt(root, "missing key \"version\"")
	}
	if err := raw.checkWordsIn(); err != nil {
		return nil, err
	}
	raw.inferCategories()
	for _, s := range raw.services {
		if s.Category != "" && raw.categoryID(s.Category) == 0 {
			var known []string
			for _, c := range raw.categories {
				known = append(known, c.name)
			}
			if len(known) == 0 {
				return nil, errAt(s.categoryAt, "service %q: category %q: the file has no categories", s.Name, s.Category)
			}
			return nil, errAt(s.categoryAt, "service %q: unknown category %q (known: %s)", s.Name, s.Category, strings.Join(known, ", "))
		}
	}
	if len(raw.services) == 0 {
		return nil, errAt(root, "no services")
	}
	return raw, nil
}

// noteLangs records in into the languages a mapping of language to terms lists
// each term under.
func (raw *rawRules) noteLangs(n *yaml.Node, into map[string]uint64) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		lang := n.Content[i].Value
		bit, ok := raw.langs[lang]
		if !ok {
			if len(raw.langs) == 64 {
				return errAt(n.Content[i], "more than 64 languages")
			}
			bit = len(raw.langs)
			raw.langs[lang] = bit
		}
		for _, c := range n.Content[i+1].Content {
			into[Normalize(c.Value)] |= 1 << bit
			for _, t := range otherScripts(lang, c.Value) {
				into[Normalize(t)] |= 1 << bit
			}
		}
	}
	return nil
}

// checkWordsIn refuses a words_in language no outage or recovery terms are
// listed under.
func (raw *rawRules) checkWordsIn() error {
	var termLangs uint64 // the languages outage or recovery terms are listed under
	for _, m := range raw.termLangs {
		termLangs |= m
	}
	for _, s := range raw.services {
		for _, c := range s.ctx {
			for _, l := range c.wordsIn {
				if bit, ok := raw.langs[l]; !ok || termLangs&(1<<bit) == 0 {
					var known []string
					for k, b := range raw.langs {
						if termLangs&(1<<b) != 0 {
							known = append(known, k)
						}
					}
					sort.Strings(known)
					return errAt(c.wordsAt, "alias %q: words_in: no outage or recovery terms in language %q (they are in %s)", c.alias, l, strings.Join(known, ", "))
				}
			}
		}
	}
	return nil
}

// langMask returns the bits of the given languages.
func (raw *rawRules) langMask(langs []string) uint64 {
	var m uint64
	for _, l := range langs {
		m |= 1 << raw.langs[l]
	}
	return m
}

// termListField is where a top-level list of terms goes, and the map that
// notes its terms' languages where they matter (nil where they do not).
type termListField struct {
	dst   *[]string
	langs map[string]uint64
}

// termLists maps the rules file's keys of plain term lists to their fields.
func (raw *rawRules) termLists() map[string]termListField {
	return map[string]termListField{
		"outage_terms":        {&raw.outage, raw.termLangs},
		"recovery_terms":      {&raw.recovery, raw.termLangs},
		"fine_terms":          {&raw.fine, nil},
		"name_terms":          {&raw.named, raw.namedLangs},
		"potential_markers":   {&raw.potential, nil},
		"negations":           {&raw.negations, nil},
		"post_negations":      {&raw.cancels, nil},
		"past_terms":          {&raw.past, nil},
		"present_terms":       {&raw.present, nil},
		"displacement_terms":  {&raw.displace, nil},
		"arrival_terms":       {&raw.arrive, nil},
		"negators":            {&raw.negators, raw.pairLangs},
		"post_negators":       {&raw.postNegators, raw.pairLangs},
		"symptom_verbs":       {&raw.verbs, raw.pairLangs},
		"connectors":          {&raw.connectors, nil},
		"hashtag_words":       {&raw.filler, nil},
		"adverbs":             {&raw.adverbs, raw.adverbLangs},
		"consequence_terms":   {&raw.conseq, nil},
		"cause_terms":         {&raw.causes, nil},
		"own_work_terms":      {&raw.ownWork, nil},
		"own_side_terms":      {&raw.ownSide, nil},
		"not_name_terms":      {&raw.notName, nil},
		"platform_terms":      {&raw.platform, nil},
		"supposition_terms":   {&raw.suppose, nil},
		"with_terms":          {&raw.with, nil},
		"together_terms":      {&raw.together, nil},
		"question_particles":  {&raw.particles, nil},
		"consequence_endings": {&raw.conseqEndings, nil},
		"clause_endings":      {&raw.clauseEndings, nil},
		"only_me_terms":       {&raw.onlyMe, nil},
		"awaiting_terms":      {&raw.awaits, raw.awaitLangs},
	}
}

// termList accepts a sequence of strings or a mapping of language code to
// sequence of strings.
func termList(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		return stringSeq(n)
	case yaml.MappingNode:
		var out []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "" {
				return nil, errAt(k, "empty language key")
			}
			if v.Kind != yaml.SequenceNode {
				return nil, errAt(v, "%s: want a list of terms", k.Value)
			}
			s, err := stringSeq(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
			for _, t := range s {
				out = append(out, otherScripts(k.Value, t)...)
			}
		}
		return out, nil
	}
	return nil, errAt(n, "want a list of terms or a mapping of language to list")
}

func stringSeq(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "want a list of strings")
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, errAt(c, "want a string")
		}
		if len(tokenizePhrase(Normalize(c.Value))) == 0 && !hasCJK(Normalize(c.Value)) {
			return nil, errAt(c, "empty term %q", c.Value)
		}
		out = append(out, c.Value)
	}
	return out, nil
}

func parseProblems(raw *rawRules, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errAt(n, "problems: want a mapping of category to terms")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "" {
			return errAt(k, "empty problem category")
		}
		for _, p := range raw.problemNames {
			if p == k.Value {
				return errAt(k, "duplicate problem category %q", k.Value)
			}
		}
		if len(raw.problemNames) == 16 {
			return errAt(k, "too many problem categories (max 16)")
		}
		terms, err := termList(v)
		if err != nil {
			return err
		}
		raw.problemNames = append(raw.problemNames, k.Value)
		raw.problems = append(raw.problems, terms)
	}
	return nil
}

var serviceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

func parseServices(raw *rawRules, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errAt(n, "services: want a list")
	}
	names := map[string]bool{}
	for _, sn := range n.Content {
		if sn.Kind != yaml.MappingNode {
			return errAt(sn, "service: want a mapping")
		}
		var s rawService
		var nameNode *yaml.Node
		seen := map[string]bool{}
		for i := 0; i+1 < len(sn.Content); i += 2 {
			k, v := sn.Content[i], sn.Content[i+1]
			if seen[k.Value] {
				return errAt(k, "duplicate key %q", k.Value)
			}
			seen[k.Value] = true
			var err error
			switch k.Value {
			case "name":
				nameNode = v
				if v.Kind != yaml.ScalarNode {
					return errAt(v, "name: want a string")
				}
				s.Name = v.Value
			case "display":
				s.Display = v.Value
			case "owner":
				s.Owner = v.Value
			case "fuzzy":
				if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
					return errAt(v, "fuzzy: want true or false")
				}
				s.fuzzy = v.Value == "true"
			case "aliases":
				s.aliases, err = termList(v)
			case "device_aliases":
				s.devices, err = termList(v)
			case "context_aliases":
				s.ctx, err = parseContextAliases(v)
			case "category":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					return errAt(v, "category: want the name of one of the file's categories")
				}
				s.Category, s.categoryAt = v.Value, v
			default:
				return errAt(k, "unknown key %q", k.Value)
			}
			if err != nil {
				return err
			}
		}
		if nameNode == nil {
			return errAt(sn, "service without name")
		}
		if s.Name == "" {
			return errAt(nameNode, "empty service name")
		}
		if !serviceNameRE.MatchString(s.Name) {
			return errAt(nameNode, "service name %q: want lower-case letters, digits, '_', '-', '.'", s.Name)
		}
		if names[s.Name] {
			return errAt(nameNode, "duplicate service %q", s.Name)
		}
		names[s.Name] = true
		if len(s.aliases) == 0 && len(s.ctx) == 0 && len(s.devices) == 0 {
			return errAt(sn, "service %q has no aliases", s.Name)
		}
		if s.Display == "" {
			s.Display = s.Name
		}
		raw.services = append(raw.services, s)
	}
	if len(raw.services) > MaxServices {
		return errAt(n, "%d services: at most %d", len(raw.services), MaxServices)
	}
	return nil
}

// MaxServices is the most services a rules file may name (Downdetector follows about
// 33,000).
const MaxServices = 200_000

// parseCategories reads categories: a mapping of category name to its
// outage_terms and recovery_terms (each a list or a mapping of language to list).
func parseCategories(raw *rawRules, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errAt(n, "categories: want a mapping of category name to {outage_terms, recovery_terms}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !serviceNameRE.MatchString(k.Value) {
			return errAt(k, "category name %q: want lower-case letters, digits, '_', '-', '.'", k.Value)
		}
		if raw.categoryID(k.Value) != 0 {
			return errAt(k, "duplicate category %q", k.Value)
		}
		if len(raw.categories) == 255 {
			return errAt(k, "more than 255 categories")
		}
		if v.Kind != yaml.MappingNode {
			return errAt(v, "category %q: want a mapping with outage_terms and recovery_terms", k.Value)
		}
		c := rawCategory{name: k.Value}
		for j := 0; j+1 < len(v.Content); j += 2 {
			ck, cv := v.Content[j], v.Content[j+1]
			var err error
			switch ck.Value {
			case "outage_terms":
				c.outage, err = termList(cv)
			case "recovery_terms":
				c.recovery, err = termList(cv)
			case "shared_outage_terms":
				c.shared, err = termList(cv)
			case "name_words":
				c.nameWords, err = termList(cv)
			case "poster_side":
				if cv.Kind != yaml.ScalarNode || (cv.Value != "true" && cv.Value != "false") {
					return errAt(cv, "poster_side: want true or false")
				}
				c.posterSide = cv.Value == "true"
			default:
				return errAt(ck, "category %q: unknown key %q (want outage_terms, shared_outage_terms, recovery_terms, poster_side, name_words)", k.Value, ck.Value)
			}
			if err != nil {
				return err
			}
		}
		if len(c.outage) == 0 {
			return errAt(k, "category %q has no outage_terms", k.Value)
		}
		raw.categories = append(raw.categories, c)
	}
	return nil
}

// inferCategories gives a service that names no category the first category
// one of whose name_words is a word of its display name or of an alias: a power
// company added as "Duke Energy" or "Perusahaan Listrik Negara" is read as one
// without the operator knowing of categories.
func (raw *rawRules) inferCategories() {
	for i := range raw.services {
		s := &raw.services[i]
		if s.Category != "" {
			continue
		}
		words := map[string]bool{}
		for _, n := range append([]string{s.Display}, s.aliases...) {
			for _, w := range tokenizePhrase(Normalize(n)) {
				words[w] = true
			}
		}
	find:
		for _, c := range raw.categories {
			for _, w := range c.nameWords {
				if words[Normalize(w)] {
					s.Category = c.name
					break find
				}
			}
		}
	}
}

// categoryID is the id of a category (1 and up), 0 when there is none of that name.
func (raw *rawRules) categoryID(name string) uint8 {
	for i, c := range raw.categories {
		if c.name == name {
			return uint8(i + 1)
		}
	}
	return 0
}

func parseContextAliases(n *yaml.Node) ([]rawContext, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "context_aliases: want a list of {alias, requires_context}")
	}
	var out []rawContext
	for _, e := range n.Content {
		if e.Kind != yaml.MappingNode {
			return nil, errAt(e, "context_aliases: want {alias, requires_context}")
		}
		var c rawContext
		var aliasNode *yaml.Node
		for i := 0; i+1 < len(e.Content); i += 2 {
			k, v := e.Content[i], e.Content[i+1]
			switch k.Value {
			case "alias":
				aliasNode = v
				c.alias = v.Value
			case "requires_context":
				var err error
				if c.context, err = termList(v); err != nil {
					return nil, err
				}
			case "words_in":
				var err error
				if c.wordsIn, err = stringSeq(v); err != nil {
					return nil, errAt(v, "words_in: want a list of language codes")
				}
				c.wordsAt = v
			case "strict":
				if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
					return nil, errAt(v, "strict: want true or false")
				}
				c.strict = v.Value == "true"
			default:
				return nil, errAt(k, "unknown key %q", k.Value)
			}
		}
		if aliasNode == nil {
			return nil, errAt(e, "context alias without alias")
		}
		if len(tokenizePhrase(Normalize(c.alias))) == 0 {
			return nil, errAt(aliasNode, "empty alias")
		}
		if len(c.context) == 0 {
			return nil, errAt(e, "alias %q: requires_context is empty", c.alias)
		}
		out = append(out, c)
	}
	return out, nil
}
