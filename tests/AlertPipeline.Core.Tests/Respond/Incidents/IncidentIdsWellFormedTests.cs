using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

public sealed class IncidentIdsWellFormedTests
{
    [Fact]
    public void Ids_the_factory_gives_are_well_formed()
    {
        Assert.True(IncidentIds.IsWellFormed(IncidentIds.For("rl-env-7731", 1)));
        Assert.True(IncidentIds.IsWellFormed(IncidentIds.For("sandbox with spaces\n", 42)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("inc-0123")]
    [InlineData("inc-0123456789ABCDEF01234567")]
    [InlineData("inc-0123456789abcdef0123456g")]
    [InlineData("abc-0123456789abcdef01234567")]
    [InlineData("inc-0123456789abcdef012345678")]
    [InlineData("../0123456789abcdef01234567")]
    public void Anything_else_is_not(string? id) => Assert.False(IncidentIds.IsWellFormed(id));
}
