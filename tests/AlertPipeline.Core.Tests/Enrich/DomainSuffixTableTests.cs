using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class DomainSuffixTableTests
{
    private static readonly DomainSuffixTable<string> Table = new(
        [("example.com", "example.com"), ("deep.pool.example.com", "deep.pool.example.com"), ("ngrok.io.", "ngrok.io")]);

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("pool.example.com", "example.com")]
    [InlineData("a.deep.pool.example.com", "deep.pool.example.com")]
    [InlineData("POOL.Example.COM.", "example.com")]
    [InlineData("x.ngrok.io", "ngrok.io")]
    [InlineData("badexample.com", null)]
    [InlineData("example.com.evil.test", null)]
    [InlineData("com", null)]
    [InlineData("", null)]
    [InlineData(".", null)]
    public void Matches_a_name_or_a_parent_on_label_boundaries(string name, string? expected)
        => Assert.Equal(expected, Table.TryMatch(name, out var value) ? value : null);
}
