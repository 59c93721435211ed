package match

import "fmt"

// Kind says what a post says about a service.
type Kind uint8

const (
	// Mention: the service is named without outage intent (brand chatter).
	Mention Kind = iota + 1
	// Outage: a complaint that the service is down or broken.
	Outage
	// Recovery: the service is said to work again ("WhatsApp is back").
	Recovery
	// Past: talk about an outage that is over ("what happened to WhatsApp
	// yesterday", "the cause of last night's outage"). Not a complaint.
	Past
)

// String returns "mention", "outage", "recovery" or "past".
func (k Kind) String() string {
	switch k {
	case Mention:
		return "mention"
	case Outage:
		return "outage"
	case Recovery:
		return "recovery"
	case Past:
		return "past"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText encodes the kind as its String form (for JSON output).
func (k Kind) MarshalText() ([]byte, error) {
	switch k {
	case Mention, Outage, Recovery, Past:
		return []byte(k.String()), nil
	}
	return nil, fmt.Errorf("match: invalid kind %d", uint8(k))
}

// Match is what a post says about one service.
type Match struct {
	Service string // rule name, e.g. "whatsapp"
	Kind    Kind
	// Problems are the problem categories named anywhere in the post, in
	// the order the rules file declares them (login, messages,
	// notifications, app, website, connection, media, calls in the default
	// set). Set for Outage matches only (nil otherwise). The slice
	// is shared between matches and must not be modified.
	Problems []string
	// Wording identifies what an Outage post says in its writer's own words:
	// a hash of its text without the services' names, handles and links, the
	// same for copies of one text however they spell the name, case or
	// punctuation. 0 when those words are too few (under about five words) to
	// tell one writer from another, and for other kinds. Detection counts
	// copies of one wording as one voice (counts.Voice).
	Wording uint64
}

// Service describes one service of the rules.
type Service struct {
	Name    string // rule name, e.g. "whatsapp"
	Display string // human name, e.g. "WhatsApp"
	Owner   string // e.g. "meta"; services with the same owner are related
	// Category names the rules' category of services whose outages have words
	// of their own (a power company's "no power", "blackout"); empty for the
	// apps and sites the rules' general vocabulary is written for.
	Category string
}
