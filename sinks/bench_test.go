package sinks

import (
	"fmt"
	"path/filepath"
	"testing"
)

const benchRows, benchCols = 100_000, 20

func benchData() ([]string, [][]string) {
	header := make([]string, benchCols)
	for j := range header {
		header[j] = fmt.Sprintf("column_%02d", j)
	}
	// A few distinct rows, reused: the writer must not keep them.
	rows := make([][]string, 16)
	for i := range rows {
		r := make([]string, benchCols)
		for j := range r {
			switch j % 5 {
			case 0:
				r[j] = "张三丰"
			case 1:
				r[j] = fmt.Sprintf("1101011990%08d", i)
			case 2:
				r[j] = fmt.Sprintf("138%08d", i)
			case 3:
				r[j] = fmt.Sprintf("%d.%d", 50+i, j)
			default:
				r[j] = "hit"
			}
		}
		rows[i] = r
	}
	return header, rows
}

func benchmarkWriter(b *testing.B, open func(path string, header []string) (RowWriter, error)) {
	header, rows := benchData()
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		w, err := open(filepath.Join(dir, "out"), header)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < benchRows; i++ {
			if err := w.Write(rows[i%len(rows)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// BenchmarkCSVWrite: one op = a 100k x 20 CSV file, committed.
func BenchmarkCSVWrite(b *testing.B) {
	benchmarkWriter(b, func(path string, header []string) (RowWriter, error) {
		return NewCSV(path+".csv", header, CSVOptions{BOM: true})
	})
}

// BenchmarkXLSXWrite: one op = a 100k x 20 XLSX file, committed.
func BenchmarkXLSXWrite(b *testing.B) {
	numeric := make([]bool, benchCols)
	for j := range numeric {
		numeric[j] = j%5 == 3
	}
	benchmarkWriter(b, func(path string, header []string) (RowWriter, error) {
		return NewXLSX(path+".xlsx", header, XLSXOptions{NumericColumns: numeric})
	})
}

// BenchmarkRawLogWrite: one op = one record with a JSON body.
func BenchmarkRawLogWrite(b *testing.B) {
	l, err := OpenRawLog(filepath.Join(b.TempDir(), "raw.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := RawRecord{Row: 1, Provider: "juhe", Key: "k1", Attempt: 1, HTTPStatus: 200, Outcome: "hit",
		Billed: true, LatencyMS: 12.3, Body: []byte(`{"error_code":0,"result":{"found":1,"riskScore":85}}`)}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}
