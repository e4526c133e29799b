using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Respond;

public sealed class ResponsePolicyTests
{
    private static readonly string[] Known = ["email", "teams", "shutdown"];

    [Fact]
    public void Default_maps_levels_as_documented()
    {
        Assert.Equal(["email", "teams", "shutdown"], ResponsePolicy.Default.ChannelsFor(AlertLevel.Critical));
        Assert.Equal(["email", "teams"], ResponsePolicy.Default.ChannelsFor(AlertLevel.High));
        Assert.Equal(["teams"], ResponsePolicy.Default.ChannelsFor(AlertLevel.Medium));
        Assert.Empty(ResponsePolicy.Default.ChannelsFor(AlertLevel.Low));
        Assert.Empty(ResponsePolicy.Default.ChannelsFor(AlertLevel.Informational));
    }

    [Fact]
    public void Settings_override_only_the_levels_they_name()
    {
        var policy = ResponsePolicy.FromSettings(new Dictionary<string, string?> { ["critical"] = "email, teams", ["low"] = "teams" }, Known);
        Assert.Equal(["email", "teams"], policy.ChannelsFor(AlertLevel.Critical));
        Assert.Equal(["teams"], policy.ChannelsFor(AlertLevel.Low));
        Assert.Equal(["email", "teams"], policy.ChannelsFor(AlertLevel.High));
    }

    [Fact]
    public void Bad_settings_fail_loudly()
    {
        Assert.Contains("severe", Assert.Throws<FormatException>(() => ResponsePolicy.FromSettings(new Dictionary<string, string?> { ["severe"] = "email" }, Known)).Message);
        Assert.Contains("pager", Assert.Throws<FormatException>(() => ResponsePolicy.FromSettings(new Dictionary<string, string?> { ["high"] = "pager" }, Known)).Message);
    }
}

public sealed class ResponsePolicyResolutionTests
{
    private static ResponsePolicyEntry Entry(string id, string level = "critical", string? rule = null, string? team = null, string? env = null, params string[] channels)
        => new() { Id = id, Level = level, RuleId = rule, Team = team, Environment = env, Channels = channels };

    private static readonly ResponsePolicy Policy = ResponsePolicy.Default.WithEntries(
    [
        Entry("level-only", channels: ["email"]),
        Entry("env", env: "prod", channels: ["teams"]),
        Entry("team", team: "research", channels: ["email", "teams"]),
        Entry("team-env", team: "research", env: "prod", channels: ["shutdown"]),
        Entry("rule", rule: "r-miner", channels: []),
        Entry("high-team", level: "high", team: "research", channels: ["teams"]),
    ]);

    [Theory]
    [InlineData("r-miner", "research", "prod", "rule")]
    [InlineData("r-other", "research", "prod", "team-env")]
    [InlineData("r-other", "RESEARCH", "Prod", "team-env")]
    [InlineData("r-other", "research", "training", "team")]
    [InlineData("r-other", "evals", "prod", "env")]
    [InlineData("r-other", "evals", "training", "level-only")]
    [InlineData("r-other", null, null, "level-only")]
    public void The_most_specific_matching_entry_decides(string rule, string? team, string? env, string expected)
        => Assert.Equal(expected, Policy.Resolve(AlertLevel.Critical, rule, team, env).EntryId);

    [Fact]
    public void An_entry_decides_alone_and_only_for_its_level()
    {
        var rule = Policy.Resolve(AlertLevel.Critical, "r-miner", "research", "prod");
        Assert.Empty(rule.Channels); // not merged with the less specific entries

        Assert.Equal("high-team", Policy.Resolve(AlertLevel.High, "r-miner", "research", null).EntryId);
        var medium = Policy.Resolve(AlertLevel.Medium, "r-miner", "research", "prod");
        Assert.Null(medium.EntryId);
        Assert.Equal(["teams"], medium.Channels);
    }

    [Fact]
    public void Without_a_match_the_settings_default_decides_with_automatic_shutdown()
    {
        var decision = ResponsePolicy.Default.Resolve(AlertLevel.Critical, "r1", "t", "e");

        Assert.Equal(["email", "teams", "shutdown"], decision.Channels);
        Assert.Empty(decision.Recipients);
        Assert.Null(decision.TemplateId);
        Assert.Equal(ShutdownMode.Automatic, decision.Shutdown);
        Assert.Null(decision.EntryId);
    }

    [Fact]
    public void A_tie_goes_to_the_id_that_sorts_first()
    {
        var policy = ResponsePolicy.Default.WithEntries([Entry("b", team: "x", channels: ["teams"]), Entry("a", team: "x", channels: ["email"])]);
        Assert.Equal("a", policy.Resolve(AlertLevel.Critical, "r", "x", null).EntryId);
    }

    [Fact]
    public void Recipients_template_and_shutdown_mode_come_from_the_entry()
    {
        var policy = ResponsePolicy.Default.WithEntries(
        [
            new ResponsePolicyEntry
            {
                Id = "research", Level = "critical", Team = "research", Channels = ["email", "shutdown"],
                Recipients = ["oncall@example.com", "ONCALL@example.com", "lead@example.com"], TemplateId = "d-0123456789abcdef0123456789abcdef", Shutdown = "approval",
            },
        ]);

        var decision = policy.Resolve(AlertLevel.Critical, "r", "research", null);

        Assert.Equal(["oncall@example.com", "lead@example.com"], decision.Recipients);
        Assert.Equal("d-0123456789abcdef0123456789abcdef", decision.TemplateId);
        Assert.Equal(ShutdownMode.Approval, decision.Shutdown);
    }

    [Fact]
    public void A_valid_entry_has_no_problems()
        => Assert.Empty(ResponsePolicy.Validate(new ResponsePolicyEntry
        {
            Id = "crit.research_prod-1", Level = "Critical", RuleId = "r", Team = "t", Environment = "e", Channels = ["email", "teams", "shutdown"],
            Recipients = ["a@example.com"], TemplateId = "d-abc123", Shutdown = "off",
        }));

    [Theory]
    [InlineData("id", "bad/id", "critical", "email", null, null, null)]
    [InlineData("level 'severe'", "x", "severe", "email", null, null, null)]
    [InlineData("channel 'pager'", "x", "critical", "pager", null, null, null)]
    [InlineData("not a plain email address", "x", "critical", "email", "Bob <bob@example.com>", null, null)]
    [InlineData("not a plain email address", "x", "critical", "email", "bob@example.com\r\nBcc: eve@example.com", null, null)]
    [InlineData("not a plain email address", "x", "critical", "email", "not-an-address", null, null)]
    [InlineData("shutdown 'sometimes'", "x", "critical", "shutdown", null, null, "sometimes")]
    [InlineData("templateId", "x", "critical", "email", null, "tmpl-1", null)]
    [InlineData("need channel 'email'", "x", "critical", "teams", "a@example.com", null, null)]
    [InlineData("needs channel 'shutdown'", "x", "critical", "email", null, null, "approval")]
    public void Invalid_entries_are_refused_with_a_message_naming_the_problem(string expected, string id, string level, string channels, string? recipient, string? template, string? shutdown)
    {
        var problems = ResponsePolicy.Validate(new ResponsePolicyEntry
        {
            Id = id, Level = level, Channels = channels.Split(','), Recipients = recipient is null ? [] : [recipient], TemplateId = template, Shutdown = shutdown,
        });

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains('\n'));
    }

    [Fact]
    public void WithEntries_refuses_an_invalid_entry()
        => Assert.Throws<ArgumentException>(() => ResponsePolicy.Default.WithEntries([Entry("x", level: "severe")]));
}
