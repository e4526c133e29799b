using System.Text;
using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class IndicatorFileTests
{
    private static IndicatorFile.Result Parse(string text) => IndicatorFile.Parse(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Reads_the_documented_json_shape()
    {
        var result = Parse("""
            [
              {"value":"*.SupportXMR.com.","source":"mining-pools","kind":"mining-pool","description":"Monero pool","expires":"2027-01-01T00:00:00Z"},
              {"value":"198.51.100.7/24","source":"feed-a","kind":"threat-intel"},
              {"value":"2001:DB8:bad::/48","source":"feed-a","kind":"threat-intel","expires":null}
            ]
            """);

        Assert.Empty(result.Problems);
        Assert.Equal(["supportxmr.com", "198.51.100.0/24", "2001:db8:bad::/48"], result.Indicators.Select(i => i.Value));
        var pool = result.Indicators[0];
        Assert.Equal(("mining-pools", "mining-pool", "Monero pool"), (pool.Source, pool.Kind, pool.Description));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), pool.Expires);
        Assert.Null(result.Indicators[2].Expires);
    }

    [Fact]
    public void Reports_invalid_json_rows_by_line_and_keeps_the_others()
    {
        var result = Parse("""
            [
              {"value":"ok.example","source":"f","kind":"threat-intel"},
              {"value":"not a domain","source":"f","kind":"threat-intel"},
              {"value":"10.0.0.0/33","source":"f","kind":"threat-intel"},
              {"value":"a.example","source":"f/x","kind":"threat-intel"},
              {"value":"b.example","source":"f","kind":"Mining Pool"},
              {"value":"c.example","source":"f","kind":"threat-intel","expires":"soon"},
              {"value":"d.example","source":"f","kind":"threat-intel","expires":5},
              {"value":"OK.example.","source":"f","kind":"threat-intel"},
              "e.example",
              {"source":"f","kind":"threat-intel"},
              {"value":"ok2.example","source":"f","kind":"mining-pool"}
            ]
            """);

        Assert.Equal(["ok.example", "ok2.example"], result.Indicators.Select(i => i.Value));
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10, 11], result.Problems.Select(p => p.Line));
        Assert.Contains("neither an IP address, a CIDR nor a domain", result.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("already defined on line 2", result.Problems[6].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_is_reported_and_the_rows_before_it_load()
    {
        var result = Parse("[\n{\"value\":\"ok.example\",\"source\":\"f\",\"kind\":\"k\"},\n{\"value\":\n");

        Assert.Equal(["ok.example"], result.Indicators.Select(i => i.Value));
        Assert.Contains("not valid JSON", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_csv_with_a_header_in_any_order_quotes_and_comments()
    {
        var result = Parse(""""
            # exported from feed-a
            kind,value,source,expires,description
            mining-pool,supportxmr.com,mining-pools,2027-01-01T00:00:00Z,"Monero pool, port ""3333"""
            tunnel-service,ngrok.io,tunnels,,
            threat-intel,203.0.113.0/24,feed-a
            threat-intel,not_an address,feed-a,,
            threat-intel,"unclosed,feed-a
            """");

        Assert.Equal(["supportxmr.com", "ngrok.io", "203.0.113.0/24"], result.Indicators.Select(i => i.Value));
        Assert.Equal("Monero pool, port \"3333\"", result.Indicators[0].Description);
        Assert.Null(result.Indicators[1].Description);
        Assert.Null(result.Indicators[1].Expires);
        Assert.Equal([6, 7], result.Problems.Select(p => p.Line));
    }

    [Theory]
    [InlineData("value,kind\nexample.com,threat-intel\n")]
    [InlineData("")]
    public void Csv_without_the_required_header_columns_is_refused(string text)
    {
        var result = Parse(text);

        Assert.Empty(result.Indicators);
        Assert.Equal(1, Assert.Single(result.Problems).Line);
    }
}
