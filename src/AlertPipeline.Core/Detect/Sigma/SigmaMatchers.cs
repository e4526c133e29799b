using System.Globalization;
using System.Text.RegularExpressions;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Sigma;

// The matcher tree a Sigma rule compiles to. Everything is decided at compile time; Matches only reads spans,
// so evaluation allocates nothing (except the documented IPv6 fallback in CidrTest).

/// <summary>All children match.</summary>
internal sealed class AndMatcher(EventMatcher[] children) : EventMatcher
{
    internal EventMatcher[] Children { get; } = children;

    public override bool Matches(EventBatch batch, int index)
    {
        var children = Children;
        for (var i = 0; i < children.Length; i++)
        {
            if (!children[i].Matches(batch, index))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>At least one child matches.</summary>
internal sealed class OrMatcher(EventMatcher[] children) : EventMatcher
{
    internal EventMatcher[] Children { get; } = children;

    public override bool Matches(EventBatch batch, int index)
    {
        var children = Children;
        for (var i = 0; i < children.Length; i++)
        {
            if (children[i].Matches(batch, index))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The child does not match.</summary>
internal sealed class NotMatcher(EventMatcher child) : EventMatcher
{
    public override bool Matches(EventBatch batch, int index) => !child.Matches(batch, index);
}

/// <summary><c>field: null</c> and <c>field|exists: false</c>: the field is absent.</summary>
internal sealed class FieldAbsentMatcher(EcsField field) : EventMatcher
{
    public override bool Matches(EventBatch batch, int index) => !batch.Has(index, field);
}

/// <summary><c>field|exists: true</c>, and the <c>'*'</c> pattern: the field is present (even empty).</summary>
internal sealed class FieldPresentMatcher(EcsField field) : EventMatcher
{
    public override bool Matches(EventBatch batch, int index) => batch.Has(index, field);
}

/// <summary>
/// A field no ingested event carries (only in rules for log sources we do not ingest, which are checked, never
/// evaluated): never present, so never matches.
/// </summary>
internal sealed class ForeignFieldMatcher : EventMatcher
{
    public static ForeignFieldMatcher Instance { get; } = new();

    public override bool Matches(EventBatch batch, int index) => false;
}

/// <summary>A present field whose value passes any (or, with <c>|all</c>, every) test.</summary>
internal sealed class FieldValueMatcher(EcsField field, ValueTest[] tests, bool all) : EventMatcher
{
    internal ValueTest[] Tests => tests;

    public override bool Matches(EventBatch batch, int index)
    {
        if (!batch.Has(index, field))
        {
            return false;
        }

        var value = batch.Get(index, field);
        var tests1 = tests;
        if (all)
        {
            for (var i = 0; i < tests1.Length; i++)
            {
                if (!tests1[i].Test(value))
                {
                    return false;
                }
            }

            return true;
        }

        for (var i = 0; i < tests1.Length; i++)
        {
            if (tests1[i].Test(value))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Keyword selection: a keyword matches if any present field's value contains it.</summary>
internal sealed class KeywordMatcher(ValueTest[] keywords, bool all) : EventMatcher
{
    public override bool Matches(EventBatch batch, int index)
    {
        for (var k = 0; k < keywords.Length; k++)
        {
            var found = AnyField(batch, index, keywords[k]);
            if (found && !all)
            {
                return true;
            }

            if (!found && all)
            {
                return false;
            }
        }

        return all;
    }

    private static bool AnyField(EventBatch batch, int index, ValueTest keyword)
    {
        for (var f = 0; f < (int)EcsField.Count; f++)
        {
            var field = (EcsField)f;
            if (batch.Has(index, field) && keyword.Test(batch.Get(index, field)))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary><c>field|fieldref: other</c>: compares two fields of the same event.</summary>
internal sealed class FieldRefMatcher(EcsField field, EcsField other, FieldRefMatcher.Mode mode, StringComparison comparison) : EventMatcher
{
    internal enum Mode
    {
        Equals,
        StartsWith,
        EndsWith,
        Contains,
    }

    public override bool Matches(EventBatch batch, int index)
    {
        if (!batch.Has(index, field) || !batch.Has(index, other))
        {
            return false;
        }

        var value = batch.Get(index, field);
        var reference = batch.Get(index, other);
        return mode switch
        {
            Mode.StartsWith => value.StartsWith(reference, comparison),
            Mode.EndsWith => value.EndsWith(reference, comparison),
            Mode.Contains => value.Contains(reference, comparison),
            _ => value.Equals(reference, comparison),
        };
    }
}

/// <summary>A precompiled test of one field value.</summary>
internal abstract class ValueTest
{
    public abstract bool Test(ReadOnlySpan<char> value);
}

/// <summary>Sigma string value with <c>*</c>/<c>?</c> wildcards, split at compile time into literal parts.</summary>
internal sealed class WildcardTest : ValueTest
{
    // Parts between '*'s; a part may hold '?' positions (QuestionMasks[i] non-null then).
    private readonly string[] _parts;
    private readonly bool[]?[] _questionMasks;
    private readonly bool _anchoredStart;
    private readonly bool _anchoredEnd;
    private readonly StringComparison _comparison;

    public WildcardTest(SigmaString pattern, bool cased)
    {
        _comparison = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var pieces = pattern.Pieces;
        _anchoredStart = pieces.Count == 0 || pieces[0].Kind != SigmaString.PieceKind.Star;
        _anchoredEnd = pieces.Count == 0 || pieces[^1].Kind != SigmaString.PieceKind.Star;

        // Split at stars; empty segments (leading, trailing, adjacent stars) carry no text and are dropped.
        var parts = new List<string>();
        var masks = new List<bool[]?>();
        var text = new System.Text.StringBuilder();
        var mask = new List<bool>();
        var hasStar = false;
        void Flush()
        {
            if (text.Length > 0 || !hasStar)
            {
                parts.Add(text.ToString());
                masks.Add(mask.Contains(true) ? [.. mask] : null);
            }

            text.Clear();
            mask.Clear();
        }

        foreach (var piece in pieces)
        {
            if (piece.Kind == SigmaString.PieceKind.Star)
            {
                hasStar = true;
                Flush();
                continue;
            }

            var chunk = piece.Kind == SigmaString.PieceKind.Question ? "?" : piece.Text;
            text.Append(chunk);
            for (var i = 0; i < chunk.Length; i++)
            {
                mask.Add(piece.Kind == SigmaString.PieceKind.Question);
            }
        }

        if (hasStar)
        {
            Flush();
        }
        else
        {
            // No star: the whole value is one anchored part (possibly empty: '' matches an empty field).
            parts.Add(text.ToString());
            masks.Add(mask.Contains(true) ? [.. mask] : null);
        }

        _parts = [.. parts];
        _questionMasks = [.. masks];
    }

    /// <summary>True when the pattern is only stars: any present value matches.</summary>
    public bool MatchesAnything => _parts.Length == 0;

    public override bool Test(ReadOnlySpan<char> value)
    {
        var parts = _parts;
        if (parts.Length == 0)
        {
            return true;
        }

        var first = 0;
        var last = parts.Length - 1;
        var pos = 0;
        var end = value.Length;
        if (_anchoredStart)
        {
            if (!MatchAt(value, 0, 0))
            {
                return false;
            }

            pos = parts[0].Length;
            first = 1;
        }

        if (_anchoredEnd)
        {
            if (first > last)
            {
                return pos == value.Length;
            }

            var tail = parts[last].Length;
            if (value.Length - tail < pos || !MatchAt(value, value.Length - tail, last))
            {
                return false;
            }

            end = value.Length - tail;
            last--;
        }

        // Leftmost match of each middle part is optimal for '*'-separated patterns, so no backtracking.
        for (var i = first; i <= last; i++)
        {
            var found = Find(value[pos..end], i);
            if (found < 0)
            {
                return false;
            }

            pos += found + parts[i].Length;
        }

        return true;
    }

    private bool MatchAt(ReadOnlySpan<char> value, int at, int part)
    {
        var text = _parts[part];
        if (at < 0 || at + text.Length > value.Length)
        {
            return false;
        }

        var mask = _questionMasks[part];
        if (mask is null)
        {
            return value.Slice(at, text.Length).Equals(text, _comparison);
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (!mask[i] && !SameChar(value[at + i], text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private int Find(ReadOnlySpan<char> value, int part)
    {
        if (_questionMasks[part] is null)
        {
            return value.IndexOf(_parts[part], _comparison);
        }

        for (var at = 0; at + _parts[part].Length <= value.Length; at++)
        {
            if (MatchAt(value, at, part))
            {
                return at;
            }
        }

        return -1;
    }

    private bool SameChar(char a, char b)
        => a == b || (_comparison == StringComparison.OrdinalIgnoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}

/// <summary><c>|re</c>: a regex compiled once; a timeout (backtracking fallback only) counts as no match.</summary>
internal sealed class RegexTest(Regex regex) : ValueTest
{
    /// <summary>Timeouts within one <see cref="TripWindowMs"/> that open the breaker.</summary>
    internal const int TripAfterTimeouts = 3;

    /// <summary>How long the breaker stays open, and the window its timeouts are counted in.</summary>
    internal const long TripWindowMs = 60_000;

    private int _recentTimeouts;
    private long _windowStartedMs;
    private long _openUntilMs;

    internal Regex Regex { get; } = regex;

    /// <summary>Matches that ran out of time since the rule was compiled.</summary>
    internal int Timeouts { get; private set; }

    /// <summary>Evaluations skipped because the breaker was open.</summary>
    internal long Skipped { get; private set; }

    public override bool Test(ReadOnlySpan<char> value)
    {
        // Only a backtracking regex (a pattern NonBacktracking cannot run) can time out. An adversary who finds input
        // that does would otherwise spend the whole budget on every event; after a few timeouts the test answers
        // "no match" at once for a minute, so a batch costs at most a few budgets, then tries again. Concurrent batches
        // share the compiled rule; their unsynchronised updates can only blur the counts, never block.
        if (_openUntilMs != 0 && Environment.TickCount64 < _openUntilMs)
        {
            Skipped++;
            return false;
        }

        try
        {
            return Regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            Timeouts++;
            var now = Environment.TickCount64;
            if (now - _windowStartedMs > TripWindowMs)
            {
                _windowStartedMs = now;
                _recentTimeouts = 0;
            }

            if (++_recentTimeouts >= TripAfterTimeouts)
            {
                _openUntilMs = now + TripWindowMs;
                _recentTimeouts = 0;
                RegexBreakerOpened.Add(1);
            }

            return false;
        }
    }

    private static readonly System.Diagnostics.Metrics.Meter Meter = new("AlertPipeline.Rules.Regex");

    /// <summary>Times a rule's backtracking regex stopped being evaluated for a minute after repeated timeouts.</summary>
    private static readonly System.Diagnostics.Metrics.Counter<long> RegexBreakerOpened =
        Meter.CreateCounter<long>("alertpipeline.rules.regex_breaker_opened", description: "Backtracking rule regexes paused after repeated match timeouts");
}

/// <summary><c>|gt</c>, <c>|gte</c>, <c>|lt</c>, <c>|lte</c>: the value parsed as a number.</summary>
internal sealed class NumberTest(NumberTest.Op op, double operand) : ValueTest
{
    internal enum Op
    {
        Gt,
        Gte,
        Lt,
        Lte,
    }

    public override bool Test(ReadOnlySpan<char> value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        return op switch
        {
            Op.Gt => number > operand,
            Op.Gte => number >= operand,
            Op.Lt => number < operand,
            _ => number <= operand,
        };
    }
}

/// <summary>
/// <c>|minute</c>, <c>|hour</c>, <c>|day</c>, <c>|week</c> (ISO 8601), <c>|month</c>, <c>|year</c>: a part of the value
/// parsed as a date (a value with an offset is taken to UTC, one without is UTC), compared with a whole number.
/// </summary>
internal sealed class DatePartTest(DatePartTest.Part part, DatePartTest.Op op, int operand) : ValueTest
{
    internal enum Part
    {
        Minute,
        Hour,
        Day,
        Week,
        Month,
        Year,
    }

    internal enum Op
    {
        Eq,
        Gt,
        Gte,
        Lt,
        Lte,
    }

    public override bool Test(ReadOnlySpan<char> value)
    {
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return false;
        }

        var utc = date.UtcDateTime;
        var actual = part switch
        {
            Part.Minute => utc.Minute,
            Part.Hour => utc.Hour,
            Part.Day => utc.Day,
            Part.Week => ISOWeek.GetWeekOfYear(utc),
            Part.Month => utc.Month,
            _ => utc.Year,
        };
        return op switch
        {
            Op.Gt => actual > operand,
            Op.Gte => actual >= operand,
            Op.Lt => actual < operand,
            Op.Lte => actual <= operand,
            _ => actual == operand,
        };
    }
}

/// <summary><c>|cidr</c>: the value parsed as an IP address inside a pre-parsed network.</summary>
internal sealed class CidrTest : ValueTest
{
    private readonly bool _v6;
    private readonly uint _v4Network;
    private readonly uint _v4Mask;
    private readonly byte[] _v6Network = [];
    private readonly int _prefix;

    private CidrTest(uint network, uint mask)
    {
        _v4Network = network;
        _v4Mask = mask;
    }

    private CidrTest(byte[] network, int prefix)
    {
        _v6 = true;
        _v6Network = network;
        _prefix = prefix;
    }

    /// <summary>Parses <c>a.b.c.d/n</c> or an IPv6 <c>addr/n</c> (a bare address means a host route).</summary>
    public static CidrTest? TryCreate(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? cidr.AsSpan() : cidr.AsSpan(0, slash);
        var prefixText = slash < 0 ? default : cidr.AsSpan(slash + 1);
        if (IpText.TryParseIPv4(address, out var v4))
        {
            var prefix = 32;
            if (slash >= 0 && (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32))
            {
                return null;
            }

            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            return new CidrTest(v4 & mask, mask);
        }

        if (address.Contains(':') && System.Net.IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var prefix = 128;
            if (slash >= 0 && (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 128))
            {
                return null;
            }

            var bytes = ip.GetAddressBytes();
            ApplyPrefix(bytes, prefix);
            return new CidrTest(bytes, prefix);
        }

        return null;
    }

    public override bool Test(ReadOnlySpan<char> value)
    {
        if (!_v6)
        {
            return IpText.TryParseIPv4(value, out var v4) && (v4 & _v4Mask) == _v4Network;
        }

        if (!value.Contains(':'))
        {
            return false;
        }

        // IPv6 parsing goes through IPAddress (one small allocation); IPv6 CIDR rules are rare.
        if (!System.Net.IPAddress.TryParse(value, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!ip.TryWriteBytes(bytes, out _))
        {
            return false;
        }

        ApplyPrefix(bytes, _prefix);
        return bytes.SequenceEqual(_v6Network);
    }

    private static void ApplyPrefix(Span<byte> bytes, int prefix)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
    }
}

/// <summary>Allocation-free IPv4 text parsing.</summary>
internal static class IpText
{
    /// <summary>Parses strict dotted-quad IPv4 (four 1–3 digit parts, each at most 255).</summary>
    public static bool TryParseIPv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var parts = 0;
        var i = 0;
        while (parts < 4)
        {
            var value = 0;
            var digits = 0;
            while (i < text.Length && text[i] >= '0' && text[i] <= '9' && digits < 4)
            {
                value = (value * 10) + (text[i] - '0');
                digits++;
                i++;
            }

            if (digits == 0 || digits > 3 || value > 255)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            parts++;
            if (parts < 4)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }
        }

        return i == text.Length;
    }
}
