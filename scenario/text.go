package scenario

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Weighted is a value and its weight, for PickWeighted.
type Weighted struct {
	S string
	W float64
}

// PickWeighted draws one of ws with probability in proportion to its weight.
func PickWeighted(r *rand.Rand, ws []Weighted) string {
	total := 0.0
	for _, w := range ws {
		total += w.W
	}
	x := r.Float64() * total
	for _, w := range ws {
		if x < w.W {
			return w.S
		}
		x -= w.W
	}
	return ws[len(ws)-1].S
}

func pick(r *rand.Rand, ss []string) string { return ss[r.IntN(len(ss))] }

// Languages of background posts (chatter, ambient complaints, unrelated).
var generalLangs = []Weighted{
	{"en", 0.42}, {"ar", 0.10}, {"es", 0.08}, {"pt", 0.08}, {"id", 0.08},
	{"hi-Latn", 0.08}, {"hi", 0.04}, {"de", 0.06}, {"tr", 0.06},
}

// Countries by language (for posts whose language is chosen first).
var langCountries = map[string][]Weighted{
	"en":      {{"US", 0.35}, {"GB", 0.2}, {"IN", 0.25}, {"NG", 0.1}, {"CA", 0.05}, {"AU", 0.05}},
	"ar":      {{"SA", 0.4}, {"EG", 0.35}, {"AE", 0.15}, {"MA", 0.1}},
	"es":      {{"MX", 0.4}, {"ES", 0.3}, {"AR", 0.2}, {"CO", 0.1}},
	"pt":      {{"BR", 0.9}, {"PT", 0.1}},
	"de":      {{"DE", 0.8}, {"AT", 0.1}, {"CH", 0.1}},
	"hi":      {{"IN", 1}},
	"hi-Latn": {{"IN", 1}},
	"id":      {{"ID", 1}},
	"tr":      {{"TR", 1}},
}

// Languages by country (for complaints, whose country is chosen first).
var countryLangs = map[string][]Weighted{
	"IN": {{"en", 0.45}, {"hi-Latn", 0.35}, {"hi", 0.20}},
	"ID": {{"id", 0.85}, {"en", 0.15}},
	"SA": {{"ar", 0.93}, {"en", 0.07}},
	"EG": {{"ar", 0.93}, {"en", 0.07}},
	"AE": {{"ar", 0.7}, {"en", 0.3}},
	"MA": {{"ar", 1}},
	"DE": {{"de", 0.85}, {"en", 0.1}, {"tr", 0.05}},
	"AT": {{"de", 1}},
	"CH": {{"de", 1}},
	"BR": {{"pt", 0.97}, {"en", 0.03}},
	"PT": {{"pt", 1}},
	"TR": {{"tr", 0.97}, {"en", 0.03}},
	"ES": {{"es", 0.95}, {"en", 0.05}},
	"MX": {{"es", 1}},
	"AR": {{"es", 1}},
	"CO": {{"es", 1}},
	"US": {{"en", 0.93}, {"es", 0.07}},
}

var sources = []Weighted{{"x", 0.7}, {"bluesky", 0.2}, {"mastodon", 0.1}}

// Symptom mix per service; other services use problemsOther.
var problems = map[string][]Weighted{
	"whatsapp":  {{"messages", 0.55}, {"connection", 0.13}, {"media", 0.10}, {"calls", 0.07}, {"login", 0.05}, {"notifications", 0.05}, {"website", 0.05}},
	"telegram":  {{"messages", 0.45}, {"connection", 0.3}, {"media", 0.1}, {"login", 0.1}, {"notifications", 0.05}},
	"x":         {{"login", 0.35}, {"connection", 0.25}, {"website", 0.15}, {"messages", 0.1}, {"notifications", 0.1}, {"media", 0.05}},
	"facebook":  {{"login", 0.3}, {"connection", 0.25}, {"website", 0.15}, {"messages", 0.15}, {"notifications", 0.1}, {"media", 0.05}},
	"instagram": {{"connection", 0.3}, {"media", 0.25}, {"login", 0.2}, {"messages", 0.15}, {"notifications", 0.1}},
	"youtube":   {{"media", 0.5}, {"connection", 0.25}, {"website", 0.15}, {"login", 0.1}},
}

var problemsOther = []Weighted{{"connection", 0.4}, {"login", 0.2}, {"website", 0.2}, {"media", 0.1}, {"notifications", 0.1}}

// service names: "*" is the Latin-script default, other keys override per language.
type svcInfo struct {
	tag   string // CamelCase for hashtags, e.g. WhatsApp
	names map[string][]string
	// chatter lines specific to the service, per language ({S} = a name)
	chatter map[string][]string
}

var services = map[string]*svcInfo{
	"whatsapp": {
		tag: "WhatsApp",
		names: map[string][]string{
			"*":       {"WhatsApp", "WhatsApp", "whatsapp", "whatsapp", "Whatsapp"},
			"id":      {"WhatsApp", "whatsapp", "WA", "WA", "wa"},
			"hi-Latn": {"WhatsApp", "whatsapp", "whatsapp", "WA", "Whatsapp"},
			"pt":      {"WhatsApp", "whatsapp", "whatsapp", "whats", "wpp"},
			"ar":      {"واتساب", "واتساب", "الواتساب", "واتس اب", "واتس آب", "واتس أب", "WhatsApp"},
			"hi":      {"व्हाट्सएप", "व्हाट्सएप", "वॉट्सऐप", "WhatsApp"},
		},
		chatter: map[string][]string{
			"en":      {"sent you a {S}", "new stickers on {S}!", "the family {S} group is chaos again", "check {S}, sent you the pics", "{S} status updates are the new stories"},
			"pt":      {"mandei um {S} pra minha mãe", "me chama no {S}", "grupo da família no {S} tá uma loucura"},
			"es":      {"te mandé un {S}", "el grupo de {S} de la familia es un caos"},
			"ar":      {"أرسلت لك على {S}", "قروب العائلة في {S} ما يهدأ"},
			"hi-Latn": {"mummy ko {S} kiya", "{S} group me good morning wale msg"},
			"id":      {"chat aku di {S} ya", "grup {S} keluarga rame banget"},
			"de":      {"hab dir auf {S} geschrieben", "die {S} Gruppe eskaliert wieder"},
		},
	},
	"x": {
		tag: "Twitter",
		names: map[string][]string{
			"*":  {"Twitter", "twitter", "twitter", "X"},
			"ar": {"تويتر", "تويتر", "إكس"},
			"hi": {"ट्विटर", "Twitter"},
		},
		chatter: map[string][]string{
			"en": {"twitter is wild today", "my {S} timeline is unhinged", "{S} trends today are wild"},
			"pt": {"vou dar um tempo do {S}", "o {S} hoje tá impossível kkkk"},
			"ar": {"يا جماعة تابعت حساب جديد في {S}"},
		},
	},
	"facebook": {
		tag: "Facebook",
		names: map[string][]string{
			"*":  {"Facebook", "facebook", "FB"},
			"id": {"Facebook", "fb", "FB"},
			"ar": {"فيسبوك", "فيس بوك", "الفيس بوك"},
			"hi": {"फेसबुक", "Facebook"},
		},
		chatter: map[string][]string{
			"en": {"my aunt shares everything on {S}", "{S} memories from 10 years ago 😂"},
			"pt": {"me sigam no {S} kkkkk"},
		},
	},
	"instagram": {
		tag: "Instagram",
		names: map[string][]string{
			"*":  {"Instagram", "instagram", "insta", "IG"},
			"ar": {"انستقرام", "انستغرام", "الانستا"},
			"hi": {"इंस्टाग्राम", "Instagram"},
		},
		chatter: map[string][]string{
			"en":      {"instagram reels are addictive", "posted a new story on {S}", "honestly {S} reels at 2am"},
			"id":      {"upload foto baru di {S}", "baru update {S}"},
			"hi-Latn": {"{S} pe naya reel dala"},
		},
	},
	"telegram": {
		tag: "Telegram",
		names: map[string][]string{
			"*":  {"Telegram", "telegram"},
			"ar": {"تيليجرام", "تلغرام", "التليجرام"},
			"hi": {"टेलीग्राम", "Telegram"},
		},
		chatter: map[string][]string{
			"en": {"joined a new {S} channel", "{S} channels are the best for movies"},
			"ar": {"قناة جديدة على {S}"},
		},
	},
	"youtube": {
		tag: "YouTube",
		names: map[string][]string{
			"*":  {"YouTube", "youtube", "Youtube", "YT"},
			"ar": {"يوتيوب", "اليوتيوب"},
			"hi": {"यूट्यूब", "YouTube"},
		},
		chatter: map[string][]string{
			"en":      {"watching youtube tonight", "new {S} video is up!", "3am and I'm deep in {S} again"},
			"ar":      {"أحب يوتيوب", "فيديو جديد على {S}"},
			"pt":      {"assistindo {S} hoje"},
			"hi-Latn": {"aaj raat {S} pe movie"},
			"de":      {"neues Video auf {S}"},
		},
	},
}

// svc returns what is known about a service; services not in the table get
// their own name (and its title-cased form) in every language.
func (g *gen) svc(s string) *svcInfo {
	if si, ok := services[s]; ok {
		return si
	}
	if si, ok := g.extra[s]; ok {
		return si
	}
	title := s
	if r, size := utf8.DecodeRuneInString(s); r != utf8.RuneError {
		title = string(unicode.ToUpper(r)) + s[size:]
	}
	si := &svcInfo{tag: title, names: map[string][]string{"*": {title, s, s}}}
	if g.extra == nil {
		g.extra = map[string]*svcInfo{}
	}
	g.extra[s] = si
	return si
}

func (si *svcInfo) name(r *rand.Rand, lang string) string {
	if ns, ok := si.names[lang]; ok {
		return pick(r, ns)
	}
	return pick(r, si.names["*"])
}

// arTag is the Arabic name usable in a hashtag (first Arabic name, spaces → _).
func (si *svcInfo) arTag() string {
	if ns, ok := si.names["ar"]; ok {
		return strings.ReplaceAll(ns[0], " ", "_")
	}
	return si.tag
}

type langText struct {
	heads     []string            // outage-intent statements with {S}
	symptoms  map[string][]string // problem → phrase
	seps      []string
	hashtags  []string // {T} tag, {t} lower tag, {A} Arabic tag
	recovery  []string
	chatter   []string // generic brand chatter with {S}
	spill     []string // {O} service that is down, {S} the other service
	unrelated []string
	fillers   []string
	ambient   []string // suffixes of individual complaints
}

var texts = map[string]*langText{
	"en": {
		heads: []string{"{S} down?", "is {S} down for anyone else?", "{S} down", "{S} not working", "is {S} down or is it just me?",
			"{S} is down", "anyone else having problems with {S}?", "{S} outage?", "{S} down again??", "{S} not working for anyone else?",
			"so {S} is down", "{S} is having issues", "is {S} down right now?"},
		symptoms: map[string][]string{
			"messages":      {"messages not sending", "my messages won't go through", "stuck on one tick", "msgs not delivering", "can't send messages", "messages stuck on the clock icon", "nobody is getting my messages"},
			"connection":    {"stuck on connecting", "keeps saying connecting...", "no connection even though my wifi is fine", "won't connect at all", "app won't load"},
			"media":         {"photos won't download", "can't send pictures", "videos not loading", "voice notes not sending", "images stuck loading"},
			"calls":         {"calls keep dropping", "can't make calls", "calls not connecting"},
			"login":         {"logged me out and can't log back in", "can't log in", "verification code not coming", "keeps logging me out", "\"something went wrong\" when I log in"},
			"notifications": {"no notifications", "notifications not coming through", "not getting any notifications"},
			"website":       {"web version not loading", "the website won't load", "web is just a blank page"},
		},
		seps:      []string{", ", " ", " - ", ". ", "... "},
		hashtags:  []string{"#{T}Down", "#{t}down", "#{T}Outage", "#{T}NotWorking", "#{t}down"},
		recovery:  []string{"{S} is back", "{S} is working again", "{S} is back up", "ok {S} works now", "phew {S} is back", "{S} back to normal", "{S} is back!!"},
		chatter:   []string{"love {S}", "{S} is my favourite app tbh", "new {S} update looks nice", "spending way too much time on {S}", "just posted on {S}", "follow me on {S}", "deleting {S} for a week", "{S} ads are getting out of hand", "cleaning up my {S}"},
		spill:     []string{"{O} down, everyone on {S}", "everyone's on {S} now since {O} died", "the way everyone ran to {S} the second {O} went down", "{S} is full of people asking if {O} is down", "{S} getting all the new users today lol"},
		unrelated: []string{"good morning", "traffic is terrible", "my train is late again", "need coffee", "who's going to the concert?", "hot take: pineapple belongs on pizza", "downloading the new game", "I'm down to hang out", "down to earth people are the best", "lost my keys again", "football is back", "feeling a bit down today", "my laptop is not working lol, time for a new one", "the elevator is out of order again", "need book recommendations", "it's raining again", "can't wait for the weekend", "slow down and enjoy the little things", "sunset was beautiful today", "the power is back, finally got my tea", "gym then work"},
		fillers:   []string{"ugh ", "wait ", "uh ", "lol ", "bruh "},
		ambient:   []string{" just me?", " since this morning", " anyone know a fix?"},
	},
	"ar": {
		heads: []string{"{S} لا يعمل", "هل {S} معطل؟", "{S} واقف", "{S} عطلان؟", "في مشكلة في {S}؟", "عطل في {S}", "{S} فيه مشكلة عند أحد؟", "انقطاع في {S}", "{S} مو شغال", "{S} طايح؟"},
		symptoms: map[string][]string{
			"messages":      {"الرسائل ما تنرسل", "الرسايل معلقة على صح وحدة", "ما يوصلني شي", "الرسائل لا تصل"},
			"connection":    {"يقول جاري الاتصال", "ما فيه اتصال", "ما يتصل أبداً"},
			"media":         {"الصور ما تنزل", "ما أقدر أرسل صور", "الفيديوهات ما تشتغل"},
			"calls":         {"المكالمات تنقطع", "ما أقدر أتصل"},
			"login":         {"ما أقدر أسجل دخول", "طلعني من الحساب", "رمز التحقق ما يوصل"},
			"notifications": {"الإشعارات ما توصل", "ما فيه إشعارات"},
			"website":       {"النسخة الويب ما تفتح", "الموقع ما يفتح"},
		},
		seps:      []string{"، ", " ", " - "},
		hashtags:  []string{"#{A}_معطل", "#{A}_واقف", "#{T}Down"},
		recovery:  []string{"{S} رجع", "رجع {S} يشتغل", "{S} اشتغل", "الحمدلله {S} رجع", "خلاص {S} اشتغل عندي"},
		chatter:   []string{"أحب {S}", "تابعوني على {S}", "نزلت صورة جديدة على {S}", "{S} فيه ميزة جديدة", "قضيت اليوم كله على {S}"},
		spill:     []string{"{O} واقف والكل راح {S}", "الكل على {S} بعد ما طاح {O}"},
		unrelated: []string{"صباح الخير", "الجو حلو اليوم", "مين رايح المعرض؟", "الزحمة فظيعة", "القهوة أولاً", "جمعة مباركة", "مساء الخير يا جماعة"},
		fillers:   []string{"يا جماعة ", "يا ناس "},
		ambient:   []string{" عندي بس؟", " من الصبح"},
	},
	"es": {
		heads: []string{"{S} no funciona", "¿se cayó {S}?", "{S} caído?", "¿a alguien más no le funciona {S}?", "{S} está caído", "falla en {S}", "{S} no anda", "se cayó {S}"},
		symptoms: map[string][]string{
			"messages":      {"no se envían los mensajes", "no puedo mandar mensajes", "los mensajes no llegan"},
			"connection":    {"se queda en conectando", "no conecta"},
			"media":         {"no cargan las fotos", "no puedo enviar fotos"},
			"calls":         {"las llamadas se cortan", "no puedo hacer llamadas"},
			"login":         {"no puedo iniciar sesión", "me sacó de la cuenta", "no llega el código"},
			"notifications": {"no llegan las notificaciones"},
			"website":       {"la web no carga", "la página no abre"},
		},
		seps:      []string{", ", " ", ". "},
		hashtags:  []string{"#{t}caido", "#{T}Down", "#caida{T}"},
		recovery:  []string{"volvió el {S}", "{S} ya funciona", "ya volvió {S}", "por fin {S} funciona"},
		chatter:   []string{"me encanta {S}", "sígueme en {S}", "mucho tiempo en {S} hoy", "nueva función de {S}"},
		spill:     []string{"se cayó {O} y todos a {S}", "todos en {S} porque {O} no funciona"},
		unrelated: []string{"buenos días", "qué partido!", "hace mucho calor", "tengo sueño", "el tráfico está horrible", "me encanta el café", "por fin viernes"},
		fillers:   []string{"oigan ", "amigos "},
		ambient:   []string{" solo a mí?", " desde la mañana"},
	},
	"pt": {
		heads: []string{"{S} caiu?", "{S} fora do ar", "{S} não tá funcionando", "o {S} caiu?", "{S} travou?", "só comigo o {S} não funciona?", "{S} com problema", "caiu o {S}?"},
		symptoms: map[string][]string{
			"messages":      {"as mensagens não vão", "não consigo mandar mensagem", "mensagem não chega"},
			"connection":    {"fica só conectando", "sem conexão"},
			"media":         {"foto não carrega", "não baixa as fotos", "áudio não envia"},
			"calls":         {"as chamadas caem", "não consigo ligar"},
			"login":         {"não consigo entrar", "me deslogou", "código não chega"},
			"notifications": {"notificação não chega"},
			"website":       {"o site não abre", "a versão web não carrega"},
		},
		seps:      []string{", ", " ", " - "},
		hashtags:  []string{"#{t}fora", "#{t}caiu", "#{T}Down"},
		recovery:  []string{"{S} voltou", "voltou o {S}", "{S} voltou a funcionar", "ufa, {S} voltou"},
		chatter:   []string{"postei no {S}", "me sigam no {S}", "viciada no {S}", "nova função do {S}"},
		spill:     []string{"{O} caiu e todo mundo veio pro {S}", "todo mundo no {S} porque o {O} caiu"},
		unrelated: []string{"que jogo!", "bom dia", "prova amanhã", "que calor", "trânsito horrível hoje", "saudade das férias", "sextou"},
		fillers:   []string{"gente ", "mano "},
		ambient:   []string{" só comigo?", " desde cedo"},
	},
	"de": {
		heads: []string{"{S} Störung?", "ist {S} down?", "{S} geht nicht", "{S} funktioniert nicht", "{S} down?", "hat noch jemand Probleme mit {S}?", "{S} spinnt", "{S} tot?", "{S} ausgefallen?", "{S} Störung"},
		symptoms: map[string][]string{
			"messages":      {"Nachrichten gehen nicht raus", "Nachrichten kommen nicht an", "kann keine Nachrichten senden"},
			"connection":    {"hängt bei Verbindung wird hergestellt", "keine Verbindung"},
			"media":         {"Bilder laden nicht", "kann keine Fotos schicken"},
			"calls":         {"Anrufe brechen ab", "kann nicht telefonieren"},
			"login":         {"kann mich nicht einloggen", "hat mich ausgeloggt"},
			"notifications": {"keine Benachrichtigungen"},
			"website":       {"Webversion lädt nicht", "die Seite lädt nicht"},
		},
		seps:      []string{", ", " ", " - "},
		hashtags:  []string{"#{T}Störung", "#{T}Down", "#{t}down"},
		recovery:  []string{"{S} geht wieder", "{S} läuft wieder", "Störung bei {S} behoben", "{S} funktioniert wieder"},
		chatter:   []string{"ich bin zu viel auf {S}", "folgt mir auf {S}", "neues Feature bei {S}"},
		spill:     []string{"{O} ist down, alle sind jetzt auf {S}", "alle wechseln zu {S} weil {O} nicht geht"},
		unrelated: []string{"ich liebe Kaffee", "guten Morgen", "der Zug hat wieder Verspätung", "endlich Wochenende", "es regnet schon wieder"},
		fillers:   []string{"ey ", "Leute, "},
		ambient:   []string{" nur bei mir?", " seit heute früh"},
	},
	"hi": {
		heads: []string{"{S} डाउन है क्या", "{S} डाउन है क्या?", "{S} नहीं चल रहा", "{S} में दिक्कत है क्या?", "{S} काम नहीं कर रहा", "क्या {S} बंद है?"},
		symptoms: map[string][]string{
			"messages":      {"मैसेज नहीं जा रहे", "मैसेज सेंड नहीं हो रहे", "मैसेज नहीं आ रहे"},
			"connection":    {"कनेक्ट नहीं हो रहा", "कनेक्टिंग दिखा रहा है"},
			"media":         {"फोटो डाउनलोड नहीं हो रही", "वीडियो नहीं चल रहे"},
			"calls":         {"कॉल नहीं लग रही", "कॉल कट रही है"},
			"login":         {"लॉगिन नहीं हो रहा", "लॉग आउट हो गया"},
			"notifications": {"नोटिफिकेशन नहीं आ रहे"},
			"website":       {"वेब नहीं खुल रहा", "वेबसाइट नहीं खुल रही"},
		},
		seps:      []string{", ", " ", "? "},
		hashtags:  []string{"#{T}Down", "#{t}down"},
		recovery:  []string{"{S} वापस आ गया", "{S} फिर से चल रहा है", "{S} ठीक हो गया"},
		chatter:   []string{"{S} पर नया वीडियो डाला", "मुझे {S} पसंद है"},
		spill:     []string{"{O} डाउन है तो सब {S} पर आ गए"},
		unrelated: []string{"सुप्रभात", "आज बहुत गर्मी है", "चाय पीने का टाइम", "ट्रैफिक बहुत है"},
		fillers:   []string{"यार "},
		ambient:   []string{" सिर्फ मेरा?"},
	},
	"hi-Latn": {
		heads: []string{"{S} down hai kya?", "{S} nahi chal raha", "{S} band hai kya?", "{S} kaam nahi kar raha", "kya {S} down hai?", "{S} me problem hai kya?", "yaar {S} phir se down"},
		symptoms: map[string][]string{
			"messages":      {"msg nahi aa rahe", "message nahi ja rahe", "messages send nahi ho rahe"},
			"connection":    {"connecting hi dikha raha hai", "connect nahi ho raha"},
			"media":         {"photo download nahi ho rahi", "video nahi chal rahe"},
			"calls":         {"call nahi lag rahi", "call kat rahi hai"},
			"login":         {"login nahi ho raha", "logout ho gaya"},
			"notifications": {"notification nahi aa rahe"},
			"website":       {"web nahi khul raha", "site nahi khul rahi"},
		},
		seps:      []string{", ", " ", "? "},
		hashtags:  []string{"#{T}Down", "#{t}down"},
		recovery:  []string{"{S} wapas aa gaya", "{S} chal gaya", "{S} fir se chalne laga"},
		chatter:   []string{"{S} pe bahut time waste hota hai", "{S} pe naya post dala"},
		spill:     []string{"{O} down hai toh sab {S} pe aa gaye 😂"},
		unrelated: []string{"good morning dosto", "aaj bahut garmi hai", "chai peene ka time", "traffic bahut hai yaar", "kal exam hai"},
		fillers:   []string{"yaar ", "bhai "},
		ambient:   []string{" sirf mera?", " subah se"},
	},
	"id": {
		heads: []string{"{S} error ya?", "{S} down?", "{S} gangguan?", "{S} lagi error", "{S} kenapa sih?", "ada yang {S} nya error juga?", "{S} down ya gaes?", "{S} ga bisa dibuka"},
		symptoms: map[string][]string{
			"messages":      {"pesan ga kekirim", "chat ga masuk", "pesan pending terus"},
			"connection":    {"menghubungkan terus", "ga konek padahal wifi lancar"},
			"media":         {"foto ga bisa kedownload", "gambar ga kekirim"},
			"calls":         {"telpon putus terus", "ga bisa nelpon"},
			"login":         {"ga bisa login", "ke logout sendiri", "kode verifikasi ga masuk"},
			"notifications": {"notif ga muncul"},
			"website":       {"web nya ga kebuka"},
		},
		seps:      []string{", ", " ", "? "},
		hashtags:  []string{"#{t}down", "#{T}Error", "#{T}Down"},
		recovery:  []string{"{S} udah normal", "{S} udah bisa lagi", "akhirnya {S} normal lagi"},
		chatter:   []string{"follow {S} aku ya", "lagi scroll {S}", "fitur baru {S} keren"},
		spill:     []string{"{O} error, semua pindah ke {S}"},
		unrelated: []string{"selamat pagi", "hujan di Jakarta", "macet banget", "lapar nih", "besok libur"},
		fillers:   []string{"gaes ", "guys "},
		ambient:   []string{" aku doang?", " dari pagi"},
	},
	"tr": {
		heads: []string{"{S} çöktü mü?", "{S} çalışmıyor", "{S} sorun mu var?", "{S} gitti mi?", "{S} çöktü", "sadece bende mi {S} çalışmıyor?", "{S} erişim sorunu"},
		symptoms: map[string][]string{
			"messages":      {"mesaj gitmiyor", "mesajlar iletilmiyor", "mesajlar gelmiyor"},
			"connection":    {"bağlanıyor yazıyor", "bağlantı yok"},
			"media":         {"fotoğraflar yüklenmiyor", "resim gönderemiyorum"},
			"calls":         {"aramalar kopuyor", "arama yapamıyorum"},
			"login":         {"giriş yapamıyorum", "hesaptan attı"},
			"notifications": {"bildirim gelmiyor"},
			"website":       {"web sürümü açılmıyor", "site açılmıyor"},
		},
		seps:      []string{", ", " ", "? "},
		hashtags:  []string{"#{t}çöktü", "#{T}Down"},
		recovery:  []string{"{S} düzeldi", "{S} açıldı", "{S} geri geldi"},
		chatter:   []string{"{S} hikayeme bakın", "yeni {S} özelliği güzel", "bütün gün {S} ile geçti"},
		spill:     []string{"{O} çöktü, herkes {S} kullanıyor"},
		unrelated: []string{"günaydın", "hafta sonu geldi", "çay zamanı", "trafik berbat", "maç ne zaman?"},
		fillers:   []string{"arkadaşlar ", "ya "},
		ambient:   []string{" sadece bende mi?"},
	},
}

var emojis = []string{"😩", "😤", "🙄", "😭", "💀", "⚠️", "🤔", "😡", "😂", "🙏", "😑", "🆘", "🤦"}
var happyEmojis = []string{"🎉", "🙌", "❤️", "😮‍💨", "🙏", "😅"}
var calmEmojis = []string{"😂", "🔥", "❤️", "👀", "😎", "🌙", "☕", "✨", "👍"}
var handles = []string{"sara", "omar", "priya", "raj", "lena", "joao", "siti", "yusuf", "maria", "kai", "ahmed", "ana", "deniz", "fatima", "max", "nour", "rahul", "dewi"}

// gen fills in the content of posts.
type gen struct {
	r     *rand.Rand
	extra map[string]*svcInfo
}

func (g *gen) mention() string {
	h := pick(g.r, handles)
	if g.r.IntN(2) == 0 {
		h += string(rune('0'+g.r.IntN(10))) + string(rune('0'+g.r.IntN(10)))
	}
	return "@" + h
}

func (g *gen) emoji(set []string) string {
	e := pick(g.r, set)
	return strings.Repeat(e, 1+g.r.IntN(3)*g.r.IntN(2))
}

// place sets language, country, source; country is kept on ~60% of posts.
func (g *gen) placeByLang(p *post) {
	p.lang = PickWeighted(g.r, generalLangs)
	country := PickWeighted(g.r, langCountries[p.lang])
	g.finish(p, country)
}

func (g *gen) placeByCountry(p *post, countries []Weighted) {
	country := PickWeighted(g.r, countries)
	if ls, ok := countryLangs[country]; ok {
		p.lang = PickWeighted(g.r, ls)
	} else {
		p.lang = "en"
	}
	g.finish(p, country)
}

func (g *gen) finish(p *post, country string) {
	if g.r.Float64() < countryShare {
		p.country = country
	}
	p.source = PickWeighted(g.r, sources)
	if p.kind == kindChatter || p.kind == kindUnrelated {
		p.author = uint32(g.r.IntN(chatterPool))
	} else {
		p.author = uint32(g.r.IntN(authorPool))
	}
}

func fill(tpl string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Contains(tpl, pairs[i]) {
			tpl = strings.ReplaceAll(tpl, pairs[i], pairs[i+1])
		}
	}
	return tpl
}

func (g *gen) hashtag(lt *langText, si *svcInfo) string {
	return fill(pick(g.r, lt.hashtags), "{T}", si.tag, "{t}", strings.ToLower(si.tag), "{A}", si.arTag())
}

// complaint writes an outage (ambient=false) or individual complaint.
func (g *gen) complaint(p *post, countries []Weighted, ambient bool) {
	r := g.r
	if ambient {
		g.placeByLang(p)
	} else {
		g.placeByCountry(p, countries)
	}
	si := g.svc(p.service)
	lt := texts[p.lang]
	ps, ok := problems[p.service]
	if !ok {
		ps = problemsOther
	}
	p.problem = PickWeighted(r, ps)
	sym := pick(r, lt.symptoms[p.problem])
	name := si.name(r, p.lang)
	head := fill(pick(r, lt.heads), "{S}", name)
	sep := pick(r, lt.seps)

	var b strings.Builder
	if r.Float64() < 0.2 {
		b.WriteString(pick(r, lt.fillers))
	}
	hashtagP := 0.22
	if ambient {
		hashtagP = 0.04
	}
	switch x := r.Float64(); {
	case x < 0.70:
		b.WriteString(join(head, sep, sym))
	case x < 0.88:
		b.WriteString(join(sym, sep, head))
	default:
		b.WriteString(g.hashtag(lt, si))
		b.WriteString(" ")
		b.WriteString(sym)
		hashtagP /= 3
	}
	if ambient && r.Float64() < 0.4 {
		b.WriteString(pick(r, lt.ambient))
	}
	if r.Float64() < 0.1 {
		b.WriteString("??")
	}
	text := g.caseChange(b.String(), 0.2, 0.03)
	if r.Float64() < 0.35 {
		text += " " + g.emoji(emojis)
	}
	if r.Float64() < hashtagP {
		text += " " + g.hashtag(lt, si)
	}
	if r.Float64() < 0.06 {
		text += " @" + si.tag
	}
	if r.Float64() < 0.05 {
		text = g.mention() + " " + text
	}
	p.text = text
}

// join joins two parts of a sentence; after a question mark only a space.
func join(a, sep, b string) string {
	if strings.HasSuffix(a, "?") || strings.HasSuffix(a, "؟") || strings.HasSuffix(a, "...") {
		sep = " "
	}
	return a + sep + b
}

func (g *gen) caseChange(s string, lower, upper float64) string {
	switch x := g.r.Float64(); {
	case x < lower:
		return strings.ToLower(s)
	case x < lower+upper:
		return strings.ToUpper(s)
	}
	return s
}

func (g *gen) recovery(p *post, countries []Weighted) {
	g.placeByCountry(p, countries)
	si := g.svc(p.service)
	lt := texts[p.lang]
	text := g.caseChange(fill(pick(g.r, lt.recovery), "{S}", si.name(g.r, p.lang)), 0.2, 0.02)
	if g.r.Float64() < 0.4 {
		text += " " + g.emoji(happyEmojis)
	}
	p.text = text
}

func (g *gen) chatter(p *post) {
	g.placeByLang(p)
	si := g.svc(p.service)
	lt := texts[p.lang]
	tpl := pick(g.r, lt.chatter)
	if sc := si.chatter[p.lang]; len(sc) > 0 && g.r.IntN(2) == 0 {
		tpl = pick(g.r, sc)
	}
	p.text = g.decorate(fill(tpl, "{S}", si.name(g.r, p.lang)))
}

func (g *gen) spill(p *post, down string) {
	g.placeByLang(p)
	lt := texts[p.lang]
	p.text = g.decorate(fill(pick(g.r, lt.spill),
		"{S}", g.svc(p.service).name(g.r, p.lang),
		"{O}", g.svc(down).name(g.r, p.lang)))
}

func (g *gen) unrelated(p *post) {
	g.placeByLang(p)
	p.text = g.decorate(pick(g.r, texts[p.lang].unrelated))
}

func (g *gen) decorate(s string) string {
	s = g.caseChange(s, 0.15, 0.01)
	if g.r.Float64() < 0.25 {
		s += " " + g.emoji(calmEmojis)
	}
	if g.r.Float64() < 0.08 {
		s = g.mention() + " " + s
	}
	return s
}
