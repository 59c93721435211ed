// Command worldgen writes web/static/assets/world.json, the live page's world map:
// each country's outline as an SVG path (equirectangular, 1 unit a degree, x from
// 0 at 180°W, y from 0 at 90°N; Antarctica left out), keyed by ISO 3166-1 alpha-2.
//
// Its inputs are two npm packages, fetched with npm pack and not kept here:
// world-atlas 2.0.2 (countries-110m.json: Natural Earth's 1:110m countries, public
// domain, as TopoJSON; ISC licence) and i18n-iso-countries 7 (codes.json: alpha-2 and
// numeric codes; MIT licence). To regenerate:
//
//	cd /tmp && npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0 && tar xzf world-atlas-2.0.2.tgz && mv package world-atlas && tar xzf i18n-iso-countries-7.14.0.tgz && mv package iso
//	go run ./web/internal/worldgen /tmp/world-atlas/countries-110m.json /tmp/iso/codes.json > web/static/assets/world.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type topology struct {
	Arcs      [][][2]float64 `json:"arcs"`
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string          `json:"type"`
				ID         string          `json:"id"`
				Arcs       json.RawMessage `json:"arcs"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// byName codes the countries Natural Earth gives no ISO numeric code.
var byName = map[string]string{"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: worldgen countries-110m.json codes.json > world.json")
		os.Exit(2)
	}
	var topo topology
	if err := readJSON(os.Args[1], &topo); err != nil {
		fail(err)
	}
	var codes [][]string
	if err := readJSON(os.Args[2], &codes); err != nil {
		fail(err)
	}
	alpha2 := map[string]string{}
	for _, c := range codes {
		if len(c) >= 3 {
			alpha2[c[2]] = c[0]
		}
	}
	// Arcs are delta-encoded in quantised units.
	arcs := make([][][2]float64, len(topo.Arcs))
	for i, a := range topo.Arcs {
		var x, y float64
		for _, p := range a {
			x, y = x+p[0], y+p[1]
			arcs[i] = append(arcs[i], [2]float64{x*topo.Transform.Scale[0] + topo.Transform.Translate[0], y*topo.Transform.Scale[1] + topo.Transform.Translate[1]})
		}
	}
	ring := func(ids []int) [][2]float64 {
		var out [][2]float64
		for k, id := range ids {
			var pts [][2]float64
			if id >= 0 {
				pts = arcs[id]
			} else {
				a := arcs[^id]
				for j := len(a) - 1; j >= 0; j-- {
					pts = append(pts, a[j])
				}
			}
			if k > 0 {
				pts = pts[1:]
			}
			out = append(out, pts...)
		}
		return out
	}
	paths := map[string]*strings.Builder{}
	for _, g := range topo.Objects.Countries.Geometries {
		code := alpha2[g.ID]
		if code == "" {
			code = byName[g.Properties.Name]
		}
		if code == "" || code == "AQ" {
			continue
		}
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				fail(err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				fail(err)
			}
		default:
			continue
		}
		b := paths[code]
		if b == nil {
			b = &strings.Builder{}
			paths[code] = b
		}
		for _, poly := range polys {
			for _, r := range poly {
				pts := ring(r)
				last := ""
				for i, p := range pts {
					xy := num(p[0]+180) + " " + num(90-p[1])
					if xy == last {
						continue // a point the rounding merged with the one before
					}
					last = xy
					if i == 0 {
						b.WriteString("M")
					} else {
						b.WriteString("L")
					}
					b.WriteString(xy)
				}
				b.WriteString("Z")
			}
		}
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Print("{\n")
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Printf("%q:%q%s\n", k, paths[k].String(), sep)
	}
	fmt.Print("}\n")
}

// num is v to one decimal, without a trailing ".0".
func num(v float64) string {
	return strconv.FormatFloat(float64(int64(v*10+0.5))/10, 'f', -1, 64)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "worldgen:", err)
	os.Exit(1)
}
