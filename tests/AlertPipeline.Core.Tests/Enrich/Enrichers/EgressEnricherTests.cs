using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Enrich.Enrichers;

public sealed class EgressEnricherTests
{
    private static readonly DateTimeOffset Time = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    private static readonly SandboxSnapshot Inventory = new(
    [
        new SandboxRecord { Id = "sbx-042", AllowedEgress = ["192.0.2.0/24", "huggingface.co", "203.0.113.7", "2001:db8:5::/48", "2001:db8:9::1"] },
        new SandboxRecord { Id = "no-policy" },
    ]);

    private static string? Judge(string sandbox, string? ip = null, string? domain = null, EcsField domainField = EcsField.DestinationDomain)
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.Set(EcsField.SandboxId, sandbox);
        if (ip is not null)
        {
            batch.Set(EcsField.DestinationIp, ip);
        }

        if (domain is not null)
        {
            batch.Set(domainField, domain);
        }

        batch.SetTimestamp(Time);
        batch.CommitEvent();
        new EnrichmentStage(Inventory).Enrich(batch);
        return batch.GetString(0, EcsField.DestinationEgressAllowed);
    }

    [Theory]
    [InlineData("192.0.2.200", "true")]
    [InlineData("203.0.113.7", "true")]
    [InlineData("203.0.113.8", "false")]
    [InlineData("198.51.100.45", "false")]
    [InlineData("2001:db8:5::10", "true")]
    [InlineData("2001:db8:5:ffff:ffff:ffff:ffff:ffff", "true")]
    [InlineData("2001:db8:6::10", "false")]
    [InlineData("2001:db8:9::1", "true")]
    [InlineData("2001:db8:9::2", "false")]
    [InlineData("::ffff:192.0.2.7", "true")]
    public void A_public_destination_is_judged_against_the_allowed_ranges(string ip, string expected)
        => Assert.Equal(expected, Judge("sbx-042", ip));

    [Theory]
    [InlineData("huggingface.co", "true")]
    [InlineData("cdn-lfs.huggingface.co.", "true")]
    [InlineData("HuggingFace.CO", "true")]
    [InlineData("evilhuggingface.co", "false")]
    [InlineData("huggingface.co.evil.example", "false")]
    [InlineData("pool.supportxmr.com", "false")]
    public void A_named_destination_is_judged_by_domain_suffix(string domain, string expected)
        => Assert.Equal(expected, Judge("sbx-042", domain: domain));

    [Fact]
    public void Sni_and_dns_names_are_judged_too()
    {
        Assert.Equal("false", Judge("sbx-042", domain: "pool.supportxmr.com", domainField: EcsField.TlsClientServerName));
        Assert.Equal("true", Judge("sbx-042", domain: "huggingface.co", domainField: EcsField.DnsQuestionName));
    }

    [Fact]
    public void An_allowed_address_allows_an_unlisted_name()
        => Assert.Equal("true", Judge("sbx-042", "192.0.2.10", "mirror.internal.example"));

    [Theory]
    [InlineData("sbx-042", "10.40.0.10")]
    [InlineData("sbx-042", "169.254.169.254")]
    [InlineData("sbx-042", "fd12:3456::1")]
    [InlineData("sbx-042", "fe80::1")]
    [InlineData("no-policy", "198.51.100.45")]
    [InlineData("unknown", "198.51.100.45")]
    public void Internal_destinations_and_sandboxes_without_a_policy_are_not_judged(string sandbox, string ip)
        => Assert.Null(Judge(sandbox, ip));

    [Theory]
    [InlineData("10.0.5.0/24", true)]
    [InlineData("10.0.5.7", true)]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("10.0.5.0/33", false)]
    [InlineData("10.0.5/24", false)]
    [InlineData("fd00::/8", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("2001:db8::/129", false)]
    [InlineData("2001:db8:::/64", false)]
    public void Cidrs_parse(string text, bool expected) => Assert.Equal(expected, EgressPolicy.TryParseCidr(text));
}
