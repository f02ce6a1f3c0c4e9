package output

import (
	"slices"
	"testing"
)

func TestLayoutOrder(t *testing.T) {
	// Row: in0 in1 | a_status a_x a_y | b_status b_x | a_decision b_decision decision decision_rule
	names := []string{"in0", "in1", "a_status", "a_x", "a_y", "b_status", "b_x", "a_decision", "b_decision", "decision", "decision_rule"}
	tests := []struct {
		name   string
		layout Layout
		names  []string
		chosen []string
		want   []int
	}{
		{"default with decisions", Layout{Inputs: 2, Blocks: []int{3, 2}, Decisions: 4}, names, nil, []int{0, 1, 9, 10, 2, 7, 3, 4, 5, 8, 6}},
		{"default without decisions", Layout{Inputs: 2, Blocks: []int{3, 2}}, names[:7], nil, []int{0, 1, 2, 3, 4, 5, 6}},
		{"chosen by name, unknown left out", Layout{Inputs: 2, Blocks: []int{3, 2}, Decisions: 4}, names, []string{"b_x", "a_status", "nope", "decision"}, []int{0, 1, 6, 2, 9}},
		{"an input column's name is not a result column", Layout{Inputs: 2, Blocks: []int{3, 2}}, names[:7], []string{"in0", "a_y"}, []int{0, 1, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.layout.Order(tt.names, tt.chosen)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Order = %v, want %v", got, tt.want)
			}
			header := Pick(tt.names, got)
			pos := SheetPositions(len(tt.names), got)
			for i, name := range tt.names {
				if pos[i] >= 0 && header[pos[i]] != name {
					t.Errorf("SheetPositions: %s at sheet column %d, which is %s", name, pos[i], header[pos[i]])
				}
				if pos[i] < 0 && slices.Contains(header, name) {
					t.Errorf("SheetPositions: %s left out but in the sheet", name)
				}
			}
		})
	}
}

func TestFrozenColumns(t *testing.T) {
	wide := []string{"a", "b", "c", "d", "e", "f", "mobile", "h"}
	tests := []struct {
		name        string
		header      []string
		identifying []string
		want        int
	}{
		{"up to the last identifying column", []string{"name", "city", "idcard", "amount"}, []string{"name", "idcard"}, 3},
		{"none", []string{"city", "amount"}, nil, 0},
		{"sixth column frozen", wide[:6], []string{"f"}, 6},
		{"seventh column too far right", wide, []string{"a", "mobile"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FrozenColumns(tt.header, tt.identifying); got != tt.want {
				t.Fatalf("FrozenColumns = %d, want %d", got, tt.want)
			}
		})
	}
	for in, want := range map[string]bool{"name": true, "idcard": true, "id_no": true, "mobile": true, "email": false, "bank_card": false} {
		if Identifying(in) != want {
			t.Errorf("Identifying(%q) = %v, want %v", in, !want, want)
		}
	}
}
