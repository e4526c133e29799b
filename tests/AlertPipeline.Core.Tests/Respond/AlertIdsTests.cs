using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Respond;

public sealed class AlertIdsTests
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    [Fact]
    public void Same_rule_sandbox_and_bucket_give_the_same_id()
    {
        var hour = TimeSpan.FromHours(1);
        Assert.Equal(AlertIds.For("r", "s", T0, hour), AlertIds.For("r", "s", T0.AddMinutes(39), hour));
        Assert.NotEqual(AlertIds.For("r", "s", T0, hour), AlertIds.For("r", "s", T0.AddMinutes(41), hour));
        Assert.NotEqual(AlertIds.For("r", "s", T0, hour), AlertIds.For("r", "s2", T0, hour));
        Assert.NotEqual(AlertIds.For("r", "s", T0, hour), AlertIds.For("r2", "s", T0, hour));
        Assert.Matches("^[0-9a-f]{32}$", AlertIds.For("r", "s", T0, hour));
    }
}
