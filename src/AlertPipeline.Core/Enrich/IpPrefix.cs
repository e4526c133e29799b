using System.Globalization;
using System.Net;
using AlertPipeline.Core.Enrich.Enrichers;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// An IPv4 or IPv6 network (a CIDR, or one address as a /32 or /128) in one 128-bit key space: IPv4 lives at its
/// IPv4-mapped IPv6 place (<c>::ffff:a.b.c.d</c>), so one table serves both families and an IPv4-mapped IPv6 address in
/// an event matches an IPv4 entry. Parsing reads spans and allocates nothing.
/// </summary>
/// <param name="Network">The first address, host bits cleared.</param>
/// <param name="Length">Prefix length in the 128-bit space (an IPv4 /24 is 120).</param>
/// <param name="IsIPv4">True when written as IPv4.</param>
public readonly record struct IpPrefix(UInt128 Network, int Length, bool IsIPv4)
{
    private static readonly UInt128 MappedIPv4 = (UInt128)0xFFFF << 32;

    /// <summary>The last address of the network.</summary>
    public UInt128 Last => Network | ~MaskOf(Length);

    /// <summary>The prefix length as written (0-32 for IPv4, 0-128 for IPv6).</summary>
    public int WrittenLength => IsIPv4 ? Length - 96 : Length;

    /// <summary>An IPv4 or IPv6 CIDR (<c>10.0.5.0/24</c>, <c>2001:db8::/32</c>) or a bare address (a /32 or /128).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpPrefix prefix)
    {
        prefix = default;
        var slash = text.IndexOf('/');
        var addressText = slash >= 0 ? text[..slash] : text;
        if (!TryParseAddress(addressText, out var address, out var isIPv4))
        {
            return false;
        }

        var max = isIPv4 ? 32 : 128;
        var bits = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
        {
            return false;
        }

        var length = isIPv4 ? bits + 96 : bits;
        prefix = new IpPrefix(address & MaskOf(length), length, isIPv4);
        return true;
    }

    /// <summary>
    /// One IPv4 address (dotted quad) or IPv6 address (with <c>::</c>, an embedded IPv4 tail, optional brackets and zone),
    /// as its 128-bit key. <paramref name="isIPv4"/> is true for the dotted-quad form.
    /// </summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, out UInt128 address, out bool isIPv4)
    {
        if (AddressClassEnricher.TryParseIPv4(text, out var v4))
        {
            address = MappedIPv4 | v4;
            isIPv4 = true;
            return true;
        }

        isIPv4 = false;
        return TryParseIPv6(text, out address);
    }

    /// <summary>True if <paramref name="address"/> lies in this network.</summary>
    public bool Contains(UInt128 address) => (address & MaskOf(Length)) == Network;

    /// <summary>The canonical text: <c>203.0.113.7</c>, <c>198.51.100.0/24</c>, <c>2001:db8::/32</c>.</summary>
    public override string ToString()
    {
        string address;
        if (IsIPv4)
        {
            var v4 = (uint)(Network & uint.MaxValue);
            address = string.Create(CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xFF}.{(v4 >> 8) & 0xFF}.{v4 & 0xFF}");
        }
        else
        {
            Span<byte> bytes = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, Network);
            address = new IPAddress(bytes).ToString();
        }

        return Length == 128 ? address : string.Create(CultureInfo.InvariantCulture, $"{address}/{WrittenLength}");
    }

    private static UInt128 MaskOf(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    private static bool TryParseIPv6(ReadOnlySpan<char> s, out UInt128 value)
    {
        value = 0;
        if (s.Length > 2 && s[0] == '[' && s[^1] == ']')
        {
            s = s[1..^1];
        }

        // A zone (fe80::1%eth0) names the interface, not the address.
        var percent = s.IndexOf('%');
        if (percent >= 0)
        {
            s = s[..percent];
        }

        if (s.Length < 2 || s.Length > 45)
        {
            return false;
        }

        Span<ushort> groups = stackalloc ushort[8];
        var count = 0;
        var gap = -1;
        var i = 0;
        if (s[0] == ':')
        {
            if (s[1] != ':')
            {
                return false;
            }

            gap = 0;
            i = 2;
        }

        while (i < s.Length)
        {
            if (count == 8)
            {
                return false;
            }

            var start = i;
            var group = 0;
            while (i < s.Length && char.IsAsciiHexDigit(s[i]) && i - start < 4)
            {
                group = (group << 4) | HexValue(s[i]);
                i++;
            }

            if (i < s.Length && s[i] == '.')
            {
                // An IPv4 tail (::ffff:192.0.2.1) fills the last two groups.
                if (count > 6 || !AddressClassEnricher.TryParseIPv4(s[start..], out var tail))
                {
                    return false;
                }

                groups[count++] = (ushort)(tail >> 16);
                groups[count++] = (ushort)tail;
                i = s.Length;
                break;
            }

            if (i == start)
            {
                return false;
            }

            groups[count++] = (ushort)group;
            if (i == s.Length)
            {
                break;
            }

            // A separator must follow, and a single colon cannot end the address.
            if (s[i] != ':' || i + 1 == s.Length)
            {
                return false;
            }

            i++;
            if (s[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
        }

        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        UInt128 result = 0;
        var zeros = 8 - count;
        for (var k = 0; k < count; k++)
        {
            if (k == gap)
            {
                result <<= 16 * zeros;
            }

            result = (result << 16) | groups[k];
        }

        if (gap == count && count > 0)
        {
            result <<= 16 * zeros;
        }

        value = result;
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
