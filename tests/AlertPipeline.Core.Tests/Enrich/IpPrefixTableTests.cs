using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class IpPrefixTableTests
{
    private static IpPrefixTable<string> Table(params string[] networks)
        => new(networks.Select(n => (Parse(n), n)));

    private static IpPrefix Parse(string text) => IpPrefix.TryParse(text, out var prefix) ? prefix : throw new ArgumentException(text);

    private static string? Match(IpPrefixTable<string> table, string address) => table.TryMatch(address, out var value) ? value : null;

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.0/24")]
    [InlineData("10.1.2.200", "10.1.2.128/25")]
    [InlineData("10.1.2.255", "10.1.2.255")]
    [InlineData("10.1.3.1", "10.0.0.0/8")]
    [InlineData("10.255.255.255", "10.0.0.0/8")]
    [InlineData("11.0.0.0", null)]
    [InlineData("9.255.255.255", null)]
    [InlineData("2001:db8:1::5", "2001:db8:1::/48")]
    [InlineData("2001:db8:2::5", "2001:db8::/32")]
    [InlineData("2001:db9::", null)]
    [InlineData("::ffff:10.1.2.3", "10.1.2.0/24")]
    [InlineData("not an address", null)]
    public void The_most_specific_network_wins(string address, string? expected)
    {
        var table = Table("10.0.0.0/8", "10.1.2.0/24", "10.1.2.128/25", "10.1.2.255", "2001:db8::/32", "2001:db8:1::/48");

        Assert.Equal(expected, Match(table, address));
    }

    [Fact]
    public void Default_routes_and_the_ends_of_the_address_space_match()
    {
        var table = Table("::/0", "0.0.0.0/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

        Assert.Equal("::/0", Match(table, "::"));
        Assert.Equal("0.0.0.0/0", Match(table, "255.255.255.255"));
        Assert.Equal("::/0", Match(table, "2001:db8::1"));
        Assert.Equal("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Match(table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        Assert.Equal("::/0", Match(table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
    }

    [Fact]
    public void The_first_of_two_identical_networks_wins()
    {
        var table = new IpPrefixTable<string>([(Parse("192.0.2.0/24"), "first"), (Parse("192.0.2.9/24"), "second")]);

        Assert.Equal("first", Match(table, "192.0.2.1"));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Agrees_with_a_linear_longest_prefix_scan_on_random_nested_networks()
    {
        // A small address region so networks nest and touch often: the sweep's boundary cases all occur.
        var random = new Random(7);
        var networks = new List<IpPrefix>();
        for (var i = 0; i < 400; i++)
        {
            var address = (UInt128)0xFFFF << 32 | (uint)(0x0A000000 | random.Next(0, 1 << 12));
            var length = 96 + random.Next(18, 33);
            var mask = UInt128.MaxValue << (128 - length);
            networks.Add(new IpPrefix(address & mask, length, true));
        }

        var table = new IpPrefixTable<int>(networks.Select((n, i) => (n, i)));
        for (var probe = 0x0A000000 - 2; probe < 0x0A000000 + (1 << 12) + 2; probe++)
        {
            var address = (UInt128)0xFFFF << 32 | (uint)probe;
            var expected = networks.Select((n, i) => (n, i)).Where(x => x.n.Contains(address))
                .OrderByDescending(x => x.n.Length).ThenBy(x => x.i).Select(x => (int?)x.i).FirstOrDefault();
            var found = table.TryMatch(address, out var index) ? (int?)index : null;

            // Equal networks keep the first index; compare the networks the indices name.
            Assert.Equal(expected is { } e ? (IpPrefix?)networks[e] : null, found is { } f ? (IpPrefix?)networks[f] : null);
        }
    }
}
