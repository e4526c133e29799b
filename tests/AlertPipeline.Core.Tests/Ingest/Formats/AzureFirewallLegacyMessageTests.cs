using AlertPipeline.Core.Ingest.Formats;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class AzureFirewallLegacyMessageTests
{
    [Fact]
    public void Double_spaces_and_trailing_dots_are_tolerated()
    {
        Assert.True(AzureFirewallLegacyMessage.TryParse("  HTTP   request  from 10.0.0.1:5  to  host.example:80..  Action:  Deny...  ", out var m));

        Assert.Equal("HTTP", m.Protocol.ToString());
        Assert.Equal("10.0.0.1", m.SourceHost.ToString());
        Assert.Equal("5", m.SourcePort.ToString());
        Assert.Equal("host.example", m.DestinationHost.ToString());
        Assert.Equal("80", m.DestinationPort.ToString());
        Assert.Equal("Deny", m.Action.ToString());
        Assert.True(m.Reason.IsEmpty);
    }

    [Fact]
    public void Icmp_type_and_dnat_target_are_read()
    {
        Assert.True(AzureFirewallLegacyMessage.TryParse("ICMP Type=8 request from 10.0.0.1:0 to 198.51.100.1:0. Action: Deny..", out var icmp));
        Assert.Equal("8", icmp.IcmpType.ToString());

        Assert.True(AzureFirewallLegacyMessage.TryParse("TCP request from 198.51.100.2:6000 to 203.0.113.1:443 was DNAT'ed to 10.0.0.9:8443", out var nat));
        Assert.Equal("DNAT", nat.Action.ToString());
        Assert.Equal("10.0.0.9", nat.TranslatedHost.ToString());
        Assert.Equal("8443", nat.TranslatedPort.ToString());
    }

    [Fact]
    public void Keyed_clauses_and_free_text_reason()
    {
        Assert.True(AzureFirewallLegacyMessage.TryParse(
            "HTTPS request from 10.0.0.1:5 to a.example:443. Url: a.example/x.y/z. Action: Deny. Policy: p. Rule Collection Group: g. Rule Collection: c. Rule: r. Web Category: Gambling. No rule matched. Proceeding with default action",
            out var m));

        Assert.Equal("a.example/x.y/z", m.Url.ToString());
        Assert.Equal("p", m.Policy.ToString());
        Assert.Equal("g", m.RuleCollectionGroup.ToString());
        Assert.Equal("c", m.RuleCollection.ToString());
        Assert.Equal("r", m.Rule.ToString());
        Assert.Equal("Gambling", m.WebCategory.ToString());
        Assert.Equal("No rule matched. Proceeding with default action", m.Reason.ToString());
    }

    [Fact]
    public void Idps_clauses_are_read()
    {
        Assert.True(AzureFirewallLegacyMessage.TryParse(
            "TCP request from 10.0.0.4:5000 to 198.51.100.7:443. Action: Alert. Signature: 2024897. IDS: ET USER_AGENTS Go HTTP Client. Priority: 3. Classification: Potentially Bad Traffic",
            out var m));

        Assert.Equal("2024897", m.SignatureId.ToString());
        Assert.Equal("ET USER_AGENTS Go HTTP Client", m.Signature.ToString());
        Assert.Equal("3", m.Priority.ToString());
        Assert.Equal("Potentially Bad Traffic", m.Classification.ToString());
    }

    [Fact]
    public void Dns_proxy_lines()
    {
        Assert.True(AzureFirewallLegacyMessage.TryParse("DNS Request: 10.0.0.5:7000 - 99 AAAA IN b.example. tcp 58 false 512 SERVFAIL qr,rd 135 0.01s", out var request));
        Assert.Equal(LegacyMessageKind.DnsRequest, request.Kind);
        Assert.Equal("b.example", request.QueryName.ToString());
        Assert.Equal("AAAA", request.QueryType.ToString());
        Assert.Equal("tcp", request.Protocol.ToString());
        Assert.Equal("SERVFAIL", request.ResponseCode.ToString());

        Assert.True(AzureFirewallLegacyMessage.TryParse(" Error: 2 c.example. A: read udp 10.0.0.5:1->10.0.0.53:53: i/o timeout", out var error));
        Assert.Equal(LegacyMessageKind.DnsError, error.Kind);
        Assert.Equal("c.example", error.QueryName.ToString());
        Assert.Equal("A", error.QueryType.ToString());
        Assert.Equal("read udp 10.0.0.5:1->10.0.0.53:53: i/o timeout", error.Error.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("TCP")]
    [InlineData("TCP request")]
    [InlineData("TCP request from 10.0.0.1 to 10.0.0.2:80")]
    [InlineData("TCP request from 10.0.0.1:1 to 10.0.0.2")]
    [InlineData("TCP request from 10.0.0.1:99999999 to 10.0.0.2:1")]
    [InlineData("TCP reply from 10.0.0.1:1 to 10.0.0.2:1")]
    [InlineData("TCP request from 10.0.0.1:1 to 10.0.0.2:1 was DNAT'ed to nowhere")]
    [InlineData("DNS Request: garbage")]
    [InlineData("Error: 1")]
    [InlineData(":::::")]
    public void Unknown_shapes_are_refused(string text)
        => Assert.False(AzureFirewallLegacyMessage.TryParse(text, out _));
}
