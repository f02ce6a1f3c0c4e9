package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rule language: a condition over one provider's result columns, as
// written in the job file's `when:`. It is small on purpose — analysts
// write it in YAML and read it in the report:
//
//	score > 80
//	score >= 60 and score <= 80
//	fraud_level in [4, 5]
//	result == decline or risk_codes contains "21001"
//	not (found == 1)
//
// Operators: < <= > >= == (or =) !=, `in [...]`, `contains "..."`, `and`,
// `or` (and binds tighter), `not`, parentheses. A number literal makes a
// numeric comparison: a value that is empty or not a number never matches
// it. A quoted or bare word makes a text comparison, case-insensitive, where
// an empty value is the empty text. Columns are the provider's result
// columns, with or without the provider prefix (score or juhe_score).

// expr is a compiled condition.
type expr interface {
	eval(vals []string) bool
	// excel renders the condition as an Excel formula, ref giving the
	// relative reference of a column's cell in the current row.
	excel(ref func(col int) string) string
	columns(add func(int))
}

type cmpOp int

const (
	opLT cmpOp = iota
	opLE
	opGT
	opGE
	opEQ
	opNE
)

var opText = map[cmpOp]string{opLT: "<", opLE: "<=", opGT: ">", opGE: ">=", opEQ: "=", opNE: "<>"}

// literal is a number or a text.
type literal struct {
	num     float64
	text    string
	numeric bool
}

func (l literal) excel() string {
	if l.numeric {
		return strconv.FormatFloat(l.num, 'g', -1, 64)
	}
	return `"` + strings.ReplaceAll(l.text, `"`, `""`) + `"`
}

type cmpExpr struct {
	col int
	op  cmpOp
	lit literal
}

// parseNum reads a result value as a number: empty or non-numeric is no number.
func parseNum(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f {
		return 0, false
	}
	return f, true
}

func (c *cmpExpr) eval(vals []string) bool {
	v := ""
	if c.col < len(vals) {
		v = vals[c.col]
	}
	if c.lit.numeric {
		x, ok := parseNum(v)
		if !ok {
			return false
		}
		switch c.op {
		case opLT:
			return x < c.lit.num
		case opLE:
			return x <= c.lit.num
		case opGT:
			return x > c.lit.num
		case opGE:
			return x >= c.lit.num
		case opEQ:
			return x == c.lit.num
		default:
			return x != c.lit.num
		}
	}
	eq := strings.EqualFold(strings.TrimSpace(v), c.lit.text)
	if c.op == opEQ {
		return eq
	}
	return !eq
}

func (c *cmpExpr) excel(ref func(int) string) string {
	r := ref(c.col)
	if c.lit.numeric {
		// A blank cell is 0 in arithmetic, and --"abc" is an error: both
		// must not match, as in eval.
		return fmt.Sprintf(`AND(%s<>"",IFERROR(--%s%s%s,FALSE))`, r, r, opText[c.op], c.lit.excel())
	}
	// &"" compares a number cell as its text, as eval does.
	return fmt.Sprintf(`TRIM(%s&"")%s%s`, r, opText[c.op], c.lit.excel())
}

func (c *cmpExpr) columns(add func(int)) { add(c.col) }

type inExpr struct {
	col  int
	lits []literal
}

func (e *inExpr) eval(vals []string) bool {
	for _, l := range e.lits {
		if (&cmpExpr{col: e.col, op: opEQ, lit: l}).eval(vals) {
			return true
		}
	}
	return false
}

func (e *inExpr) excel(ref func(int) string) string {
	parts := make([]string, len(e.lits))
	for i, l := range e.lits {
		parts[i] = (&cmpExpr{col: e.col, op: opEQ, lit: l}).excel(ref)
	}
	return "OR(" + strings.Join(parts, ",") + ")"
}

func (e *inExpr) columns(add func(int)) { add(e.col) }

type containsExpr struct {
	col  int
	text string
}

func (e *containsExpr) eval(vals []string) bool {
	if e.col >= len(vals) {
		return false
	}
	return strings.Contains(strings.ToLower(vals[e.col]), strings.ToLower(e.text))
}

func (e *containsExpr) excel(ref func(int) string) string {
	return fmt.Sprintf(`ISNUMBER(SEARCH(%s,%s&""))`, literal{text: excelSearchEscape(e.text)}.excel(), ref(e.col))
}

// excelSearchEscape escapes SEARCH's wildcards so the text is matched literally.
func excelSearchEscape(s string) string {
	return strings.NewReplacer("~", "~~", "*", "~*", "?", "~?").Replace(s)
}

func (e *containsExpr) columns(add func(int)) { add(e.col) }

type boolExpr struct {
	and  bool
	args []expr
}

func (e *boolExpr) eval(vals []string) bool {
	for _, a := range e.args {
		if a.eval(vals) != e.and {
			return !e.and
		}
	}
	return e.and
}

func (e *boolExpr) excel(ref func(int) string) string {
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = a.excel(ref)
	}
	fn := "OR("
	if e.and {
		fn = "AND("
	}
	return fn + strings.Join(parts, ",") + ")"
}

func (e *boolExpr) columns(add func(int)) {
	for _, a := range e.args {
		a.columns(add)
	}
}

type notExpr struct{ arg expr }

func (e *notExpr) eval(vals []string) bool           { return !e.arg.eval(vals) }
func (e *notExpr) excel(ref func(int) string) string { return "NOT(" + e.arg.excel(ref) + ")" }
func (e *notExpr) columns(add func(int))             { e.arg.columns(add) }

// trueExpr is a rule without `when`: it matches every answer.
type trueExpr struct{}

func (trueExpr) eval([]string) bool            { return true }
func (trueExpr) excel(func(int) string) string { return "TRUE" }
func (trueExpr) columns(func(int))             {}

// --- lexer and parser ---------------------------------------------------------

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tOp
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset, for messages
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case r == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case r == '[':
			out = append(out, token{tLBrack, "[", i})
			i++
		case r == ']':
			out = append(out, token{tRBrack, "]", i})
			i++
		case r == ',':
			out = append(out, token{tComma, ",", i})
			i++
		case strings.ContainsRune("<>=!", r):
			op := src[i : i+1]
			if i+1 < len(src) && src[i+1] == '=' {
				op = src[i : i+2]
			}
			switch op {
			case "<", "<=", ">", ">=", "==", "!=", "=":
			default:
				return nil, fmt.Errorf("at %d: unknown operator %q", i+1, op)
			}
			out = append(out, token{tOp, op, i})
			i += len(op)
		case r == '"' || r == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(src) && rune(src[j]) != r {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				b.WriteByte(src[j])
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("at %d: unterminated quote", i+1)
			}
			out = append(out, token{tString, b.String(), i})
			i = j + 1
		case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				((src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			if _, err := strconv.ParseFloat(src[i:j], 64); err != nil {
				return nil, fmt.Errorf("at %d: %q is not a number", i+1, src[i:j])
			}
			out = append(out, token{tNumber, src[i:j], i})
			i = j
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(src) {
				r2, s2 := utf8.DecodeRuneInString(src[j:])
				if r2 != '_' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += s2
			}
			out = append(out, token{tIdent, src[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("at %d: unexpected %q", i+1, r)
		}
	}
	return append(out, token{tEOF, "", len(src)}), nil
}

type parser struct {
	toks []token
	i    int
	cols func(name string) (int, error)
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func describe(t token) string {
	if t.kind == tEOF {
		return "the end"
	}
	return fmt.Sprintf("%q at %d", t.text, t.pos+1)
}

// compileCond parses a `when:` condition. cols resolves a column name to
// its index in the provider's values. An empty condition matches every answer.
func compileCond(src string, cols func(string) (int, error)) (expr, error) {
	if strings.TrimSpace(src) == "" {
		return trueExpr{}, nil
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, cols: cols}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %s (join conditions with and / or)", describe(t))
	}
	return e, nil
}

func (p *parser) or() (expr, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []expr{first}
	for p.keyword(p.peek(), "or") {
		p.next()
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &boolExpr{and: false, args: args}, nil
}

func (p *parser) and() (expr, error) {
	first, err := p.not()
	if err != nil {
		return nil, err
	}
	args := []expr{first}
	for p.keyword(p.peek(), "and") {
		p.next()
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &boolExpr{and: true, args: args}, nil
}

func (p *parser) not() (expr, error) {
	if p.keyword(p.peek(), "not") {
		p.next()
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notExpr{e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	t := p.next()
	if t.kind == tLParen {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, fmt.Errorf("expected ) but found %s", describe(c))
		}
		return e, nil
	}
	if t.kind != tIdent || p.keyword(t, "and") || p.keyword(t, "or") {
		return nil, fmt.Errorf("expected a column name but found %s", describe(t))
	}
	col, err := p.cols(t.text)
	if err != nil {
		return nil, err
	}
	op := p.next()
	switch {
	case op.kind == tOp:
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		c := &cmpExpr{col: col, lit: lit}
		switch op.text {
		case "<":
			c.op = opLT
		case "<=":
			c.op = opLE
		case ">":
			c.op = opGT
		case ">=":
			c.op = opGE
		case "==", "=":
			c.op = opEQ
		case "!=":
			c.op = opNE
		}
		if !lit.numeric && c.op != opEQ && c.op != opNE {
			return nil, fmt.Errorf("%s %s needs a number, found text %q", t.text, op.text, lit.text)
		}
		return c, nil
	case p.keyword(op, "in"):
		if b := p.next(); b.kind != tLBrack {
			return nil, fmt.Errorf("%s in: expected [ but found %s", t.text, describe(b))
		}
		e := &inExpr{col: col}
		for {
			lit, err := p.literal()
			if err != nil {
				return nil, err
			}
			e.lits = append(e.lits, lit)
			sep := p.next()
			if sep.kind == tRBrack {
				return e, nil
			}
			if sep.kind != tComma {
				return nil, fmt.Errorf("%s in [...]: expected , or ] but found %s", t.text, describe(sep))
			}
		}
	case p.keyword(op, "contains"):
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		text := lit.text
		if lit.numeric {
			text = p.toks[p.i-1].text
		}
		return &containsExpr{col: col, text: text}, nil
	}
	return nil, fmt.Errorf("after %s expected an operator (< <= > >= == != in contains) but found %s", t.text, describe(op))
}

func (p *parser) literal() (literal, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		f, _ := strconv.ParseFloat(t.text, 64)
		return literal{num: f, numeric: true}, nil
	case tString:
		return literal{text: t.text}, nil
	case tIdent:
		if p.keyword(t, "and") || p.keyword(t, "or") || p.keyword(t, "not") {
			break
		}
		return literal{text: t.text}, nil
	}
	return literal{}, fmt.Errorf("expected a number or a text but found %s", describe(t))
}
