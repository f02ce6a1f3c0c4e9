package pipeline

import "github.com/riskbatch/riskbatch/pipeline/output"

// frozenColumns is how many input columns the result sheet freezes
// (output.FrozenColumns): up to the last column bound to a name, ID or
// mobile input of any provider.
func (e *engine) frozenColumns(header []string) int {
	var identifying []string
	for _, p := range e.provs {
		for _, in := range p.prov.Inputs() {
			if !output.Identifying(in.Name) {
				continue
			}
			if col := p.binding.Column(in.Name); col != "" {
				identifying = append(identifying, col)
			}
		}
	}
	return output.FrozenColumns(header, identifying)
}
