using System.Buffers.Binary;
using System.Net;
using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.5.0/24", "10.0.5.0/24", true)]
    [InlineData("10.0.5.7/24", "10.0.5.0/24", true)]
    [InlineData("203.0.113.7", "203.0.113.7", true)]
    [InlineData("0.0.0.0/0", "0.0.0.0/0", true)]
    [InlineData("2001:DB8::/32", "2001:db8::/32", false)]
    [InlineData("2001:db8:0:0:0:0:0:1", "2001:db8::1", false)]
    [InlineData("::/0", "::/0", false)]
    [InlineData("::", "::", false)]
    [InlineData("::1", "::1", false)]
    [InlineData("fe80::1%eth0", "fe80::1", false)]
    [InlineData("[2001:db8::7]", "2001:db8::7", false)]
    [InlineData("fd00:ec2::254/128", "fd00:ec2::254", false)]
    [InlineData("2001:db8:1::/48", "2001:db8:1::/48", false)]
    public void Parses_addresses_and_networks_of_both_families(string text, string canonical, bool isIPv4)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix));
        Assert.Equal(canonical, prefix.ToString());
        Assert.Equal(isIPv4, prefix.IsIPv4);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.5.0/33")]
    [InlineData("10.0.5/24")]
    [InlineData("10.0.5.0/")]
    [InlineData("10.0.5.0/-1")]
    [InlineData("2001:db8::/129")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("12345::")]
    [InlineData("1:")]
    [InlineData(":1")]
    [InlineData("g::1")]
    [InlineData("::ffff:1.2.3")]
    [InlineData("::ffff:1.2.3.4:5")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("example.com")]
    public void Refuses_what_is_not_an_address_or_network(string text) => Assert.False(IpPrefix.TryParse(text, out _));

    [Fact]
    public void Ipv6_text_parses_to_the_same_bits_as_the_runtime_parser()
    {
        // Random addresses, written by the runtime in its compressed form and with runs of zeros (so :: lands everywhere).
        var random = new Random(4);
        Span<byte> bytes = stackalloc byte[16];
        for (var n = 0; n < 5000; n++)
        {
            random.NextBytes(bytes);
            for (var g = 0; g < 8; g++)
            {
                if (random.Next(3) == 0)
                {
                    bytes[2 * g] = 0;
                    bytes[(2 * g) + 1] = 0;
                }
            }

            var address = new IPAddress(bytes);
            var text = address.ToString();
            Assert.True(IpPrefix.TryParseAddress(text, out var parsed, out _), text);
            Assert.Equal(BinaryPrimitives.ReadUInt128BigEndian(bytes), parsed);
        }
    }

    [Fact]
    public void An_ipv4_mapped_ipv6_address_is_the_ipv4_address()
    {
        Assert.True(IpPrefix.TryParseAddress("::ffff:198.51.100.7", out var mapped, out var mappedIsV4));
        Assert.True(IpPrefix.TryParseAddress("198.51.100.7", out var v4, out var isV4));

        Assert.Equal(v4, mapped);
        Assert.True(isV4);
        Assert.False(mappedIsV4);
    }
}
