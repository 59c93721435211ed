// Package match decides which posts are outage complaints about which
// service.
//
// It is the third stage of Outcry's data flow:
//
//	decode → match → aggregate → windows → evaluate → incidents → alerts
//
// The decoder hands each post's text to [Matcher.Match], which returns one
// [Match] per service named in it: a [Mention] (brand chatter), an [Outage]
// (a complaint that the service is down, with the problem categories the
// post names), a [Recovery] ("WhatsApp is back") or a [Past] outage ("what
// happened to WhatsApp yesterday", press about last night's outage). The
// aggregator counts Outage matches per service and time bucket; Past never
// counts as a complaint, Recovery helps resolve an incident. Most posts of a firehose name
// no service and leave Match in a few hundred nanoseconds without
// allocating.
//
// # How a post is read
//
// The text is normalised in one pass ([Normalize]): compatibility
// decomposition, case folding, Latin diacritics dropped (Störung → storung),
// Arabic tashkeel, tatweel and zero-width characters dropped, Arabic and
// Persian letter variants unified (أ إ آ ٱ → ا, ة → ه, ى ی → ي, ک → ك).
// It is then split into words; URLs are skipped, with or without a scheme
// (pic.twitter.com/…, youtu.be/…: a link to a service never names it; a
// bare domain, "x.com is down", does); hashtags are split at
// underscores and then into the fewest known words (#whatsappdown,
// #caidawhatsapp, #WhatsAppÇöktü), falling back to camel case. Runs of CJK
// script (no spaces) are searched by substring.
//
// A service is named by an alias (whatsapp, واتساب, व्हाट्सएप, ワッツアップ...);
// a leading Arabic article or clitic is allowed (الواتساب), single-word
// aliases of services marked fuzzy tolerate one typo (wahtsapp), and
// ambiguous aliases (x) need a context term in the post (tweet, timeline,
// elon...), an @handle, or a hashtag with an outage term (#xdown), or
// an outage term within 3 words ("x is down") unless the alias is strict
// (uber, which German über folds to; signal; teams; threads). A strict alias
// with words_in, the languages in which it is an ordinary word, is named by an
// outage term within 3 words listed under none of them ("Teams ligt eruit",
// "snap marche plus"; not "signal is down"); any alias with words_in is named
// by such a term as far as a term reaches a name (6 words: "Steam dice «si è
// verificato un errore»": the post does not speak the language of the word). A handle also
// names a service with a support or country word around it (@SteamSupport,
// @Uber_India, @AskPlayStation). A katakana name inside a longer katakana word
// does not count (ライン in タイムライン is not LINE).
//
// Outage intent comes from outage terms (down, لا يعمل, caído, çöktü,
// 落ちてる), or from a negator before a symptom verb ("not loading",
// "ما يفتح", "nahi chal raha", "lädt nicht"). Each intent term counts for the
// nearest service named within 6 words (or 12 in the same sentence; anywhere
// when the post names one service only: "Netflix, explain this: ... error
// NW-2-5"), and for every service listed with it ("whatsapp, instagram and facebook are
// down"). Negation phrases cancel the outage terms they overlap ("isn't
// down", "calm down", "I'm down to"); post negations cancel every outage
// term of the post ("remember when WhatsApp went down", "Instagram stock is
// down"). Recovery terms ("is back", رجع, düzeldi) make a Recovery when they
// are nearer than any outage term; a recovery term awaited ("when will it
// be back?", "언제 복구돼?", "bis Teams wieder geht": an awaiting term of its
// language just before it) or negated ("not fixed yet") is an outage term.
// So is "only me?" ("nur bei mir?", "只有我这样？") in a sentence that ends in
// a question mark: someone asking whether the trouble is theirs alone is
// asking whether the service is down. An outage term up to four words after
// the poster's own work in its clause ("my code keeps throwing errors", "мой
// код падает") is about that work.
//
// An outage term speaks of the past when a past cue ("yesterday", "last
// night", "was down", "root cause", دیروز, 昨天) is nearer to it than any
// present cue ("still", "again", "now", "since yesterday"), a cue in its own
// sentence always nearer than one elsewhere. A service named right after a
// displacement term ("back to", "switched to", "checking", "vim pro") is
// where people went or look, and takes no complaint; so is one named right
// before an arrival term ("bluesky'a döndüm", "트위터 옴"). A post that is only a
// name and a question mark ("instagram???") is someone checking whether it
// is down.
//
// # The model's second opinion
//
// Word lists miss phrasings nobody wrote down. A logistic regression over
// hashed character n-grams and words of the post, with the service names
// masked (model.go; weights embedded in model.bin, 1 MiB), reads posts
// about one subject (one service, or several listed together): a mention
// the rules could not place becomes an outage when the model is confident,
// unless the rules found a negation or a post negation; an outage becomes a
// mention when the model is confident it is none. A post of names and outage
// terms only is left to the rules (the model would judge the terms alone).
// An ambiguous name nothing validated ("Ist Teams gerade bei euch auch
// tot?"), alone in its post, is kept tentatively and names the service only
// when the model is very confident of a complaint about it.
// Its thresholds, for short and long posts (and tentative names) apart, are fixed where
// out-of-fold estimates on the tuning corpora give 97% precision (mentions
// weighing four times the complaints), so that they do not jump with every
// change to the corpora. It is trained by `go test ./match -run
// TestModel -train` (see model_test.go and docs/matching.md); TestModel
// fails when model.bin is not what training makes of the tuning corpora and
// the current rules, or when the estimates move past the fixed thresholds.
//
// # Speed
//
// Before any phrase look-up, one pass over the tokens asks a bitset of
// hashed alias first words (with Arabic clitics and Indonesian/Turkish
// suffixes stripped), an index of CJK aliases by first rune, and a
// bitset of the fuzzy aliases' one-deletion variants whether a service may
// be named at all; most posts of a firehose stop there. The cost per post
// does not grow with the number of services (see internal/matchbench).
//
// # Reloading
//
// [Live] holds the current rules for a running service: [Live.Match]
// reads them through an atomic pointer, [Live.Reload] swaps in a new file
// only when it is valid and otherwise keeps the old rules and returns the
// fault. [Check] validates a file (`outcry rules check FILE`).
//
// # Rules file
//
// Rules are YAML; [DefaultRules] embeds default_rules.yaml, whose header
// documents the schema:
//
//	version: 1
//	outage_terms:   {en: [down, "not working", ...], ar: [...], ...}
//	recovery_terms: {en: ["is back", ...], ...}
//	name_terms:     {nl: [plat, ...], th: [พัง, ...], ...}
//	negations:      {en: ["not down", "calm down", ...], ...}
//	post_negations: {en: [stock, "just my wifi", ...], ...}
//	past_terms:     {en: [yesterday, "was down", ...], ...}
//	present_terms:  {en: [still, again, ...], ...}
//	displacement_terms: {en: ["back to", "switched to", ...], ...}
//	arrival_terms:  {tr: [döndüm, geçtik, ...], ko: [옴, ...], ...}
//	negators:       {en: [not, "can't", ...], ...}
//	post_negators:  {de: [nicht], ...}
//	symptom_verbs:  {en: [loading, sending, ...], ...}
//	connectors:     [and, y, و, ...]
//	hashtag_words:  [again, still, ...]
//	problems:       {login: [...], messages: [...], ...}
//	consequence_terms: {en: [so, ...], fr: [donc, ...], ...}
//	cause_terms:    {en: [because, ...], de: [weil, ...], ...}
//	awaiting_terms: {en: [when, until, ...], ko: [언제], ...}
//	only_me_terms:  {en: ["just me", ...], de: ["nur bei mir", ...], ...}
//	own_work_terms: {en: ["my code", ...], ru: ["мой код", ...], ...}
//	own_side_terms: {en: ["my wifi", ...], fa: [فیلترشکنم, ...], ...}
//	supposition_terms: {en: ["i thought", ...], tr: [sandım, ...], ...}
//	with_terms:     {en: [with], ar: [مع], ...}
//	not_name_terms: {de: ["liegt nicht an", ...], id: [bukan], ...}
//	platform_terms: {en: [on, "on the", ...], nl: ["op de", ...], ...}
//	together_terms: {en: [both, "at the same time", ...], ja: [同時に, ...], ...}
//	question_particles: {th: [ไหม, ...], zh: [吗, ...], ...}
//	categories:
//	  power: {poster_side: true, name_words: [power, energy, ...],
//	          outage_terms: {en: ["no power", ...], ...}, recovery_terms: {...}}
//	services:
//	  - name: x
//	    display: X (Twitter)
//	    owner: ""
//	    category: ""    # or power: the category's own words count for it
//	    fuzzy: true
//	    aliases: {latin: [twitter, ...], ar: [تويتر]}
//	    device_aliases: [ps5, ...]   # a device other services run on: "YouTube on the PS5"
//	    context_aliases: [{alias: x, requires_context: [tweet, timeline, ...]},
//	                      {alias: uber, strict: true, words_in: [en, de], requires_context: [ride, driver, ...]}]
//
// A term written with a leading "=" ("=sập") counts only in a post that writes it
// so, accents and all: its folded letters are another word too ("sắp", about to).
//
// Every list may be a plain list or a mapping of language to list. Unknown
// keys, empty terms, empty or duplicate service names are reported as
// [*RuleError] with the line and column of the fault.
package match
