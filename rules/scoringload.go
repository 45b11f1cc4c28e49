package rules

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

func scoringFields(l *loader, p *ScorePolicy, nodes map[string]*yaml.Node) map[string]fieldFunc {
	str := func(dst *string, what string) fieldFunc {
		return func(k, v *yaml.Node) {
			nodes[k.Value] = v
			if s, ok := l.str(v, "", what); ok {
				*dst = strings.TrimSpace(s)
			}
		}
	}
	return map[string]fieldFunc{
		"store": func(k, v *yaml.Node) {
			nodes[k.Value] = v
			p.Store, _ = l.boolean(v, "", "scoring store")
		},
		"field":       str(&p.Field, "scoring field"),
		"at_field":    str(&p.AtField, "scoring at_field"),
		"parts_field": str(&p.PartsField, "scoring parts_field"),
		"combine":     str(&p.Combine, "scoring combine"),
		"half_life": func(k, v *yaml.Node) {
			nodes[k.Value] = v
			s, ok := l.str(v, "", "scoring half_life")
			if !ok {
				return
			}
			d, err := parseHalfLife(s)
			switch {
			case err != nil:
				l.errorf(v, "", "scoring half_life %q is not a duration: write e.g. 30d, 2w or 720h", s)
			case d <= 0:
				l.errorf(v, "", "scoring half_life %q must be positive (leave half_life out for no decay)", s)
			default:
				p.HalfLife = d
			}
		},
	}
}

// combines are the accepted scoring.combine values.
var combines = []string{CombineMax, CombineLatest}

func (l *loader) decodeScoring(n *yaml.Node, set *Set) {
	p := defaultScorePolicy()
	if isNull(n) {
		return
	}
	nodes := map[string]*yaml.Node{}
	if !l.mapping(n, "", "scoring", scoringFields(l, &p, nodes)) {
		return
	}
	if v := nodes["combine"]; v != nil && p.Combine != CombineMax && p.Combine != CombineLatest {
		l.errorf(v, "", "scoring combine %q is not one of %s%s", p.Combine, strings.Join(combines, ", "), didYouMean(p.Combine, combines))
	}
	for _, f := range [][2]string{{"field", p.Field}, {"at_field", p.AtField}} {
		if v := nodes[f[0]]; v != nil && f[1] == "" && p.Store {
			l.errorf(v, "", "scoring %s is empty: name the Deskera custom field (or write store: false to not keep scores)", f[0])
		}
	}
	if p.Store && p.Field != "" && (p.Field == p.AtField || p.Field == p.PartsField || p.AtField == p.PartsField && p.AtField != "") {
		l.errorf(n, "", "scoring field, at_field and parts_field must be different custom fields")
	}
	if v := nodes["half_life"]; v != nil && p.HalfLife > 0 && !p.Store {
		l.errorf(v, "", "scoring half_life decays the stored score, but store is false")
	}
	if len(set.scores) == 0 && p.Store {
		l.warnf(n, "", "scoring is declared but the rules file has no scores: nothing is stored")
	}
	set.scoring = p
}
