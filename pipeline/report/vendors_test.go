package report

// The report's defaults per vendor type come from the vendor modules'
// registrations (providers.Spec.Report): the tests need every vendor.
import _ "github.com/riskbatch/riskbatch/providers/all"
