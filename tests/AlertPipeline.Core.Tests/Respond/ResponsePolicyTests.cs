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
