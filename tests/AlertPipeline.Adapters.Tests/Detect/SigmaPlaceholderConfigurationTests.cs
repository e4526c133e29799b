using AlertPipeline.Adapters.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Adapters.Tests.Detect;

public sealed class SigmaPlaceholderConfigurationTests
{
    [Fact]
    public void Binds_comma_separated_values_and_lists_from_sigma_placeholders()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sigma:Placeholders:admins"] = "root, ubuntu",
            ["Sigma:Placeholders:pools:0"] = "*.pool.example",
            ["Sigma:Placeholders:pools:1"] = "stratum.*",
            ["Sigma:Other"] = "ignored",
        }).Build();

        var placeholders = SigmaPlaceholderConfiguration.FromConfiguration(configuration);

        Assert.Equal(["admins", "pools"], placeholders.Names.Order(StringComparer.Ordinal));
        Assert.True(placeholders.TryGet("admins", out var admins));
        Assert.Equal(["root", "ubuntu"], admins);
        Assert.True(placeholders.TryGet("pools", out var pools));
        Assert.Equal(["*.pool.example", "stratum.*"], pools);
        Assert.False(placeholders.TryGet("Admins", out _));

        var rule = SigmaRuleCompiler.Compile(
            "title: t\nid: 1b2c3d4e-0000-4000-8000-000000000001\ndetection:\n  sel:\n    User|expand: '%admins%'\n  condition: sel\n",
            placeholders);
        var batch = new EventBatch(1);
        batch.BeginEvent(new SourcePosition("t", 0, 0), "ecs");
        batch.Set(EcsField.UserName, "ubuntu");
        batch.SetTimestamp(DateTimeOffset.UnixEpoch);
        batch.CommitEvent();
        Assert.True(rule.Matches(batch, 0));
    }

    [Fact]
    public void No_section_means_no_placeholders()
        => Assert.Empty(SigmaPlaceholderConfiguration.FromConfiguration(new ConfigurationBuilder().Build()).Names);
}
