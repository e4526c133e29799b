using System.Collections.Frozen;
using AlertPipeline.Core.Enrich.Enrichers;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// One sandbox's allowed egress, compiled once per inventory refresh: IPv4 ranges as (network, mask) pairs and
/// domains in a hashed set matched by suffix on label boundaries, so judging an event allocates nothing.
/// </summary>
public sealed class EgressPolicy
{
    private readonly (uint Network, uint Mask)[] _ranges;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _domains;

    private EgressPolicy((uint, uint)[] ranges, FrozenSet<string> domains)
    {
        _ranges = ranges;
        _domains = domains.GetAlternateLookup<ReadOnlySpan<char>>();
        IsEmpty = ranges.Length == 0 && domains.Count == 0;
    }

    /// <summary>True when no entry could be compiled: nothing is judged for the sandbox.</summary>
    public bool IsEmpty { get; }

    /// <summary>Compiles <paramref name="entries"/>; entries that are neither an IPv4 CIDR nor a domain are ignored (the importer reports them).</summary>
    public static EgressPolicy Compile(IEnumerable<string> entries)
    {
        var ranges = new List<(uint, uint)>();
        var domains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            if (TryParseCidr(entry, out var network, out var mask))
            {
                ranges.Add((network, mask));
            }
            else if (IsDomain(entry))
            {
                domains.Add(entry.TrimEnd('.'));
            }
        }

        return new EgressPolicy([.. ranges], domains.ToFrozenSet(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>An IPv4 CIDR (<c>a.b.c.d/n</c>) or a bare IPv4 address (a /32).</summary>
    public static bool TryParseCidr(ReadOnlySpan<char> text, out uint network, out uint mask)
    {
        network = 0;
        mask = 0;
        var slash = text.IndexOf('/');
        var bits = 32;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bits) || bits > 32))
        {
            return false;
        }

        if (!AddressClassEnricher.TryParseIPv4(slash >= 0 ? text[..slash] : text, out var address))
        {
            return false;
        }

        mask = bits == 0 ? 0 : uint.MaxValue << (32 - bits);
        network = address & mask;
        return true;
    }

    /// <summary>A DNS name: letters, digits, hyphens, underscores and dots, at least one dot, at most 253 chars.</summary>
    public static bool IsDomain(ReadOnlySpan<char> text)
    {
        text = text.TrimEnd('.');
        if (text.IsEmpty || text.Length > 253 || text.IndexOf('.') <= 0 || text.IndexOf("..", StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True if the IPv4 address <paramref name="ip"/> falls in an allowed range.</summary>
    public bool AllowsAddress(ReadOnlySpan<char> ip)
    {
        if (!AddressClassEnricher.TryParseIPv4(ip, out var address))
        {
            return false;
        }

        foreach (var (network, mask) in _ranges)
        {
            if ((address & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True if <paramref name="domain"/> or one of its parent domains is allowed.</summary>
    public bool AllowsDomain(ReadOnlySpan<char> domain)
    {
        domain = domain.TrimEnd('.');
        while (!domain.IsEmpty)
        {
            if (_domains.Contains(domain))
            {
                return true;
            }

            var dot = domain.IndexOf('.');
            if (dot < 0)
            {
                return false;
            }

            domain = domain[(dot + 1)..];
        }

        return false;
    }
}
