package providers

// ColumnNames are the names of a provider's result columns, in its Columns
// order: what the job's checks (output.columns, the report's rules), the
// report and the answer cache's scope know a provider's answer by.
func ColumnNames(p Provider) []string {
	cols := p.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
