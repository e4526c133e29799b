using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

public sealed class IncidentStatusTextTests
{
    [Fact]
    public void Every_status_round_trips_through_its_text()
    {
        foreach (var status in Enum.GetValues<IncidentStatus>())
        {
            Assert.True(IncidentStatusText.TryParse(status.ToText(), out var parsed));
            Assert.Equal(status, parsed);
        }

        Assert.True(IncidentStatusText.TryParse(" Resolved ", out var resolved));
        Assert.Equal(IncidentStatus.Resolved, resolved);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("open,resolved")]
    [InlineData("closed")]
    public void Numbers_lists_and_other_words_are_refused(string? text) => Assert.False(IncidentStatusText.TryParse(text, out _));
}
