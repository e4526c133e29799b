using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AlertPipeline.Core.Events;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>Compiles a rule's <c>detection</c> section: selections, value modifiers and the condition.</summary>
internal static class SigmaDetection
{
    /// <summary>Regex match budget for patterns NonBacktracking cannot run (backreferences, lookarounds).</summary>
    internal static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Most values one <c>|windash</c> value may expand to (5 spellings per flag).</summary>
    private const int WindashLimit = 625;

    /// <summary>Most values one <c>|expand</c> value may expand to (the product of its placeholders' value counts).</summary>
    private const int ExpandLimit = 1000;

    [Flags]
    private enum Mod
    {
        None = 0,
        Contains = 1 << 0,
        StartsWith = 1 << 1,
        EndsWith = 1 << 2,
        All = 1 << 3,
        Re = 1 << 4,
        ReI = 1 << 5,
        ReM = 1 << 6,
        ReS = 1 << 7,
        Cidr = 1 << 8,
        Gt = 1 << 9,
        Gte = 1 << 10,
        Lt = 1 << 11,
        Lte = 1 << 12,
        Exists = 1 << 13,
        Cased = 1 << 14,
        Base64 = 1 << 15,
        Base64Offset = 1 << 16,
        Windash = 1 << 17,
        FieldRef = 1 << 18,
        Neq = 1 << 19,
        Utf16Le = 1 << 20,
        Utf16Be = 1 << 21,
        Utf16 = 1 << 22,
        Expand = 1 << 23,
        Minute = 1 << 24,
        Hour = 1 << 25,
        Day = 1 << 26,
        Week = 1 << 27,
        Month = 1 << 28,
        Year = 1 << 29,

        Position = Contains | StartsWith | EndsWith,
        Numeric = Gt | Gte | Lt | Lte,
        Types = Re | Cidr | Numeric | Exists | FieldRef,
        Encodings = Utf16Le | Utf16Be | Utf16,
        Time = Minute | Hour | Day | Week | Month | Year,
        Strings = Position | Windash | Base64 | Base64Offset | Encodings | Expand,
    }

    public static EventMatcher Compile(SigmaRuleContext ctx, YamlMappingNode detection, HashSet<EcsField> fields)
    {
        var selections = new List<KeyValuePair<string, EventMatcher>>();
        var conditions = new List<YamlNode>();
        foreach (var (keyNode, value) in detection.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(name))
            {
                throw ctx.Fail(keyNode, "selection names must be strings");
            }

            switch (name)
            {
                case "condition":
                    conditions.Add(value);
                    break;
                case "timeframe":
                    // Only meaningful with the deprecated aggregations, which the condition rejects.
                    break;
                default:
                    selections.Add(new(name, CompileSelection(ctx, name, keyNode, value, fields)));
                    break;
            }
        }

        if (conditions.Count == 0)
        {
            throw ctx.Fail(detection, "missing condition");
        }

        var conditionNode = conditions[0];
        switch (conditionNode)
        {
            case YamlScalarNode scalar:
                return ParseCondition(ctx, scalar, selections);
            case YamlSequenceNode { Children.Count: > 0 } list:
            {
                // A list of conditions is their OR.
                var alternatives = new EventMatcher[list.Children.Count];
                for (var i = 0; i < alternatives.Length; i++)
                {
                    alternatives[i] = list.Children[i] is YamlScalarNode item
                        ? ParseCondition(ctx, item, selections)
                        : throw ctx.Fail(list.Children[i], "condition list items must be strings");
                }

                return alternatives.Length == 1 ? alternatives[0] : new OrMatcher(alternatives);
            }

            default:
                throw ctx.Fail(conditionNode, "condition must be a string or a list of strings");
        }
    }

    private static EventMatcher ParseCondition(SigmaRuleContext ctx, YamlScalarNode node, List<KeyValuePair<string, EventMatcher>> selections)
    {
        var text = node.Value ?? "";
        if (string.IsNullOrWhiteSpace(text))
        {
            throw ctx.Fail(node, "missing condition");
        }

        try
        {
            return SigmaCondition.Parse(text, selections);
        }
        catch (SigmaCondition.ParseError ex)
        {
            // Point at the token when the scalar is on one line (offsets map to columns); else at the scalar.
            var line = (int)node.Start.Line;
            var column = (int)node.Start.Column;
            if (node.Start.Line == node.End.Line && !text.Contains('\n', StringComparison.Ordinal))
            {
                column += ex.Offset + (node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0);
            }

            throw ctx.Fail(line, column, ex.Message);
        }
    }

    private static EventMatcher CompileSelection(SigmaRuleContext ctx, string name, YamlNode keyNode, YamlNode node, HashSet<EcsField> fields)
    {
        switch (node)
        {
            case YamlMappingNode map:
                return CompileMap(ctx, map, fields);
            case YamlSequenceNode { Children.Count: > 0 } list:
            {
                var scalars = 0;
                foreach (var item in list.Children)
                {
                    scalars += item is YamlScalarNode ? 1 : 0;
                }

                if (scalars == list.Children.Count)
                {
                    return CompileKeywords(ctx, [.. list.Children], Mod.None);
                }

                // A list of maps is the OR of the maps.
                var alternatives = new EventMatcher[list.Children.Count];
                for (var i = 0; i < alternatives.Length; i++)
                {
                    alternatives[i] = list.Children[i] is YamlMappingNode item
                        ? CompileMap(ctx, item, fields)
                        : throw ctx.Fail(list.Children[i], $"selection '{name}' mixes keywords and field maps");
                }

                return alternatives.Length == 1 ? alternatives[0] : new OrMatcher(alternatives);
            }

            case YamlScalarNode scalar when !IsNull(scalar):
                return CompileKeywords(ctx, [scalar], Mod.None);
            default:
                throw ctx.Fail(node is YamlScalarNode ? keyNode : node, $"selection '{name}' is empty");
        }
    }

    private static EventMatcher CompileMap(SigmaRuleContext ctx, YamlMappingNode map, HashSet<EcsField> fields)
    {
        if (map.Children.Count == 0)
        {
            throw ctx.Fail(map, "empty field map");
        }

        var items = new List<EventMatcher>(map.Children.Count);
        foreach (var (key, value) in map.Children)
        {
            items.Add(CompileField(ctx, key, value, fields));
        }

        return items.Count == 1 ? items[0] : new AndMatcher([.. items]);
    }

    private static EventMatcher CompileField(SigmaRuleContext ctx, YamlNode keyNode, YamlNode valueNode, HashSet<EcsField> fields)
    {
        if (keyNode is not YamlScalarNode { Value: { } key })
        {
            throw ctx.Fail(keyNode, "field names must be strings");
        }

        var parts = key.Split('|');
        var mods = ParseModifiers(ctx, keyNode, parts);
        var values = Values(ctx, valueNode);

        if (parts[0].Length == 0)
        {
            // '|all': [...] and friends: keywords with modifiers.
            if ((mods & ~(Mod.All | Mod.Contains | Mod.Cased)) != 0)
            {
                throw ctx.Fail(keyNode, $"modifiers '{key}' are not supported on keywords");
            }

            return CompileKeywords(ctx, values, mods);
        }

        if (!ResolveField(ctx, parts[0], keyNode, "unknown field", out var field))
        {
            // Still compile the values so their errors surface; the matcher itself is never evaluated.
            CompileFieldValues(ctx, default, mods, values, valueNode, new HashSet<EcsField>());
            return ForeignFieldMatcher.Instance;
        }

        fields.Add(field);
        return CompileFieldValues(ctx, field, mods, values, valueNode, fields);
    }

    private static EventMatcher CompileFieldValues(SigmaRuleContext ctx, EcsField field, Mod mods, List<YamlNode> values, YamlNode valueNode, HashSet<EcsField> fields)
    {
        if ((mods & Mod.Exists) != 0)
        {
            if (values.Count != 1 || values[0] is not YamlScalarNode { Value: "true" or "false" or "True" or "False" } flag)
            {
                throw ctx.Fail(valueNode, "exists expects true or false");
            }

            return flag.Value!.Equals("true", StringComparison.OrdinalIgnoreCase) ? new FieldPresentMatcher(field) : new FieldAbsentMatcher(field);
        }

        if ((mods & Mod.FieldRef) != 0)
        {
            return CompileFieldRef(ctx, field, mods, values, fields);
        }

        var all = (mods & Mod.All) != 0;
        var tests = new List<ValueTest>();
        var alternatives = new List<EventMatcher>();
        foreach (var value in values)
        {
            if (IsNull(value))
            {
                if (mods != Mod.None || all)
                {
                    throw ctx.Fail(value, "null takes no modifiers");
                }

                alternatives.Add(new FieldAbsentMatcher(field));
                continue;
            }

            AddTests(ctx, (YamlScalarNode)value, mods, tests);
        }

        if (tests.Count > 0)
        {
            if (tests.Count == 1 && tests[0] is WildcardTest { MatchesAnything: true })
            {
                alternatives.Add(new FieldPresentMatcher(field));
            }
            else
            {
                alternatives.Add(new FieldValueMatcher(field, [.. tests], all && (mods & Mod.Neq) == 0));
            }
        }

        var matcher = alternatives.Count == 1 ? alternatives[0] : new OrMatcher([.. alternatives]);

        // neq: the field differs from every listed value.
        return (mods & Mod.Neq) != 0 ? new NotMatcher(matcher) : matcher;
    }

    /// <summary>
    /// Resolves a field name. False (no field) for a name the rule may use although we do not carry it: any name in
    /// a rule for a source we do not ingest, or a Sigma taxonomy field we do not carry, which makes the rule
    /// unsupported. Any other unknown name is an error.
    /// </summary>
    private static bool ResolveField(SigmaRuleContext ctx, string name, YamlNode node, string unknownProblem, out EcsField field)
    {
        if (SigmaFieldMap.TryResolve(name, out field))
        {
            return true;
        }

        if (!ctx.ForeignFields)
        {
            if (!SigmaFieldMap.IsNotCarried(name))
            {
                throw ctx.Fail(node, $"{unknownProblem} '{name}'");
            }

            ctx.UnsupportedField ??= ctx.Fail(node, $"field '{name}' of the Sigma taxonomy is not in our telemetry");
        }

        return false;
    }

    private static EventMatcher CompileFieldRef(SigmaRuleContext ctx, EcsField field, Mod mods, List<YamlNode> values, HashSet<EcsField> fields)
    {
        if ((mods & ~(Mod.FieldRef | Mod.Position | Mod.Cased | Mod.All | Mod.Neq)) != 0 || PopCount(mods & Mod.Position) > 1)
        {
            throw ctx.Fail(values[0], "fieldref combines only with contains, startswith, endswith, cased, all and neq");
        }

        var mode = (mods & Mod.Contains) != 0 ? FieldRefMatcher.Mode.Contains
            : (mods & Mod.StartsWith) != 0 ? FieldRefMatcher.Mode.StartsWith
            : (mods & Mod.EndsWith) != 0 ? FieldRefMatcher.Mode.EndsWith
            : FieldRefMatcher.Mode.Equals;
        var comparison = (mods & Mod.Cased) != 0 ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var items = new EventMatcher[values.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var name = (values[i] as YamlScalarNode)?.Value;
            if (IsNull(values[i]) || string.IsNullOrEmpty(name))
            {
                throw ctx.Fail(values[i], "fieldref needs a field name");
            }

            if (!ResolveField(ctx, name, values[i], "fieldref names unknown field", out var other))
            {
                items[i] = ForeignFieldMatcher.Instance;
                continue;
            }

            fields.Add(other);
            items[i] = new FieldRefMatcher(field, other, mode, comparison);
        }

        var matcher = items.Length == 1 ? items[0] : (mods & Mod.All) != 0 ? new AndMatcher(items) : new OrMatcher(items);
        return (mods & Mod.Neq) != 0 ? new NotMatcher(matcher) : matcher;
    }

    private static void AddTests(SigmaRuleContext ctx, YamlScalarNode node, Mod mods, List<ValueTest> tests)
    {
        var raw = node.Value ?? "";
        if ((mods & Mod.Re) != 0)
        {
            tests.Add(new RegexTest(CompileRegex(ctx, node, raw, mods)));
            return;
        }

        if ((mods & Mod.Cidr) != 0)
        {
            tests.Add(CidrTest.TryCreate(raw.Trim()) ?? throw ctx.Fail(node, $"invalid CIDR '{raw}'"));
            return;
        }

        if ((mods & Mod.Time) != 0)
        {
            if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var part))
            {
                throw ctx.Fail(node, $"'{raw}' is not a whole number");
            }

            var datePart = (mods & Mod.Minute) != 0 ? DatePartTest.Part.Minute
                : (mods & Mod.Hour) != 0 ? DatePartTest.Part.Hour
                : (mods & Mod.Day) != 0 ? DatePartTest.Part.Day
                : (mods & Mod.Week) != 0 ? DatePartTest.Part.Week
                : (mods & Mod.Month) != 0 ? DatePartTest.Part.Month
                : DatePartTest.Part.Year;
            var compare = (mods & Mod.Gt) != 0 ? DatePartTest.Op.Gt
                : (mods & Mod.Gte) != 0 ? DatePartTest.Op.Gte
                : (mods & Mod.Lt) != 0 ? DatePartTest.Op.Lt
                : (mods & Mod.Lte) != 0 ? DatePartTest.Op.Lte
                : DatePartTest.Op.Eq;
            tests.Add(new DatePartTest(datePart, compare, part));
            return;
        }

        if ((mods & Mod.Numeric) != 0)
        {
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                throw ctx.Fail(node, $"'{raw}' is not a number");
            }

            var op = (mods & Mod.Gt) != 0 ? NumberTest.Op.Gt
                : (mods & Mod.Gte) != 0 ? NumberTest.Op.Gte
                : (mods & Mod.Lt) != 0 ? NumberTest.Op.Lt
                : NumberTest.Op.Lte;
            tests.Add(new NumberTest(op, number));
            return;
        }

        var cased = (mods & Mod.Cased) != 0;
        var strings = new List<SigmaString>();
        foreach (var text in (mods & Mod.Expand) != 0 ? ExpandPlaceholders(ctx, node, raw) : [raw])
        {
            strings.Add(SigmaString.Parse(text));
        }

        if ((mods & Mod.Windash) != 0)
        {
            var variants = new List<SigmaString>();
            foreach (var s in strings)
            {
                var some = s.WindashVariants(WindashLimit);
                if (some.Count == 0)
                {
                    throw ctx.Fail(node, "windash expands this value to too many variants");
                }

                variants.AddRange(some);
            }

            strings = variants;
        }

        if ((mods & (Mod.Base64 | Mod.Base64Offset)) != 0)
        {
            // Base64 text is case-significant, so encoded values always compare case-sensitively.
            cased = true;
            var encoded = new List<SigmaString>();
            foreach (var s in strings)
            {
                if (s.HasWildcards)
                {
                    throw ctx.Fail(node, "base64 values cannot hold wildcards");
                }

                var bytes = Encode(s.Literal, mods);
                if ((mods & Mod.Base64) != 0)
                {
                    encoded.Add(SigmaString.FromLiteral(Convert.ToBase64String(bytes)));
                }
                else
                {
                    foreach (var variant in Base64Offsets(bytes))
                    {
                        encoded.Add(SigmaString.FromLiteral(variant));
                    }
                }
            }

            strings = encoded;
        }
        else if ((mods & Mod.Encodings) != 0)
        {
            throw ctx.Fail(node, "utf16/utf16le/utf16be/wide need base64 or base64offset after them");
        }

        var leading = (mods & (Mod.Contains | Mod.EndsWith)) != 0;
        var trailing = (mods & (Mod.Contains | Mod.StartsWith)) != 0;
        foreach (var s in strings)
        {
            tests.Add(new WildcardTest(s.Wrap(leading, trailing), cased));
        }
    }

    /// <summary>
    /// <c>|expand</c>: every <c>%name%</c> in <paramref name="raw"/> replaced by each configured value (all
    /// combinations when there are several placeholders); <c>\%</c> is a plain percent sign. An unconfigured
    /// placeholder is a compile error, as the spec asks of a tool that cannot resolve it.
    /// </summary>
    private static List<string> ExpandPlaceholders(SigmaRuleContext ctx, YamlNode node, string raw)
    {
        var results = new List<string> { "" };
        var literal = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\' && i + 1 < raw.Length && raw[i + 1] is '\\' or '%')
            {
                // '\\' stays for the wildcard parser; '\%' is a plain '%'.
                literal.Append(raw[i + 1] == '%' ? "%" : "\\\\");
                i++;
                continue;
            }

            var close = c == '%' ? raw.IndexOf('%', i + 1) : -1;
            if (close < 0 || !IsPlaceholderName(raw.AsSpan(i + 1, close - i - 1)))
            {
                literal.Append(c);
                continue;
            }

            var name = raw[(i + 1)..close];
            if (!ctx.Placeholders.TryGet(name, out var replacements))
            {
                throw ctx.Fail(node, $"placeholder '%{name}%' is not configured (set Sigma:Placeholders:{name})");
            }

            if (replacements.Count == 0)
            {
                throw ctx.Fail(node, $"placeholder '%{name}%' has no values");
            }

            if ((long)results.Count * replacements.Count > ExpandLimit)
            {
                throw ctx.Fail(node, $"expand gives more than {ExpandLimit} values");
            }

            var next = new List<string>(results.Count * replacements.Count);
            foreach (var prefix in results)
            {
                foreach (var replacement in replacements)
                {
                    next.Add(prefix + literal + replacement);
                }
            }

            results = next;
            literal.Clear();
            i = close;
        }

        for (var i = 0; i < results.Count; i++)
        {
            results[i] += literal.ToString();
        }

        return results;
    }

    private static bool IsPlaceholderName(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return name.Length > 0;
    }

    private static EventMatcher CompileKeywords(SigmaRuleContext ctx, IReadOnlyList<YamlNode> items, Mod mods)
    {
        var tests = new ValueTest[items.Count];
        for (var i = 0; i < tests.Length; i++)
        {
            if (items[i] is not YamlScalarNode scalar || IsNull(scalar))
            {
                throw ctx.Fail(items[i], "keywords must be strings");
            }

            tests[i] = new WildcardTest(SigmaString.Parse(scalar.Value ?? "").Wrap(true, true), (mods & Mod.Cased) != 0);
        }

        return new KeywordMatcher(tests, (mods & Mod.All) != 0);
    }

    private static Regex CompileRegex(SigmaRuleContext ctx, YamlNode node, string pattern, Mod mods)
    {
        var options = RegexOptions.CultureInvariant;
        options |= (mods & Mod.ReI) != 0 ? RegexOptions.IgnoreCase : 0;
        options |= (mods & Mod.ReM) != 0 ? RegexOptions.Multiline : 0;
        options |= (mods & Mod.ReS) != 0 ? RegexOptions.Singleline : 0;
        try
        {
            try
            {
                // Linear-time matching: no rule can stall a batch with catastrophic backtracking.
                return new Regex(pattern, options | RegexOptions.NonBacktracking);
            }
            catch (NotSupportedException)
            {
                // Backreferences, lookarounds, atomic groups: backtracking engine with a per-match budget.
                return new Regex(pattern, options | RegexOptions.Compiled, RegexTimeout);
            }
        }
        catch (ArgumentException ex)
        {
            throw ctx.Fail(node, $"invalid regular expression: {ex.Message}");
        }
    }

    private static byte[] Encode(string text, Mod mods)
    {
        if ((mods & Mod.Utf16Le) != 0)
        {
            return Encoding.Unicode.GetBytes(text);
        }

        if ((mods & Mod.Utf16Be) != 0)
        {
            return Encoding.BigEndianUnicode.GetBytes(text);
        }

        if ((mods & Mod.Utf16) != 0)
        {
            return [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)];
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// The three base64 renderings of <paramref name="bytes"/> at offsets 0, 1 and 2 inside a longer blob,
    /// trimmed to the characters that do not depend on the unknown neighbouring bytes.
    /// </summary>
    internal static IEnumerable<string> Base64Offsets(byte[] bytes)
    {
        int[] skipStart = [0, 2, 3];
        for (var shift = 0; shift < 3; shift++)
        {
            var padded = new byte[shift + bytes.Length];
            bytes.CopyTo(padded, shift);
            var text = Convert.ToBase64String(padded);
            var trimEnd = ((shift + bytes.Length) % 3) switch
            {
                1 => 3,
                2 => 2,
                _ => 0,
            };
            var length = text.Length - skipStart[shift] - trimEnd;
            if (length > 0)
            {
                yield return text.Substring(skipStart[shift], length);
            }
        }
    }

    private static Mod ParseModifiers(SigmaRuleContext ctx, YamlNode keyNode, string[] parts)
    {
        var mods = Mod.None;
        for (var i = 1; i < parts.Length; i++)
        {
            var mod = parts[i] switch
            {
                "contains" => Mod.Contains,
                "startswith" => Mod.StartsWith,
                "endswith" => Mod.EndsWith,
                "all" => Mod.All,
                "re" => Mod.Re,
                "i" => Mod.ReI,
                "m" => Mod.ReM,
                "s" => Mod.ReS,
                "cidr" => Mod.Cidr,
                "gt" => Mod.Gt,
                "gte" => Mod.Gte,
                "lt" => Mod.Lt,
                "lte" => Mod.Lte,
                "exists" => Mod.Exists,
                "cased" => Mod.Cased,
                "base64" => Mod.Base64,
                "base64offset" => Mod.Base64Offset,
                "windash" => Mod.Windash,
                "fieldref" => Mod.FieldRef,
                "neq" => Mod.Neq,
                "utf16le" or "wide" => Mod.Utf16Le,
                "utf16be" => Mod.Utf16Be,
                "utf16" => Mod.Utf16,
                "expand" => Mod.Expand,
                "minute" => Mod.Minute,
                "hour" => Mod.Hour,
                "day" => Mod.Day,
                "week" => Mod.Week,
                "month" => Mod.Month,
                "year" => Mod.Year,
                _ => throw ctx.Fail(keyNode, $"unknown modifier '{parts[i]}'"),
            };
            mods |= mod;
        }

        if (PopCount(mods & Mod.Types) > 1 || PopCount(mods & Mod.Position) > 1 || PopCount(mods & (Mod.Base64 | Mod.Base64Offset)) > 1
            || PopCount(mods & Mod.Encodings) > 1 || PopCount(mods & Mod.Time) > 1
            || ((mods & Mod.Time) != 0 && (mods & (Mod.Types & ~Mod.Numeric)) != 0))
        {
            throw ctx.Fail(keyNode, $"conflicting modifiers in '{string.Join('|', parts)}'");
        }

        if ((mods & (Mod.ReI | Mod.ReM | Mod.ReS)) != 0 && (mods & Mod.Re) == 0)
        {
            throw ctx.Fail(keyNode, "the i, m and s modifiers apply only to re");
        }

        if ((mods & (Mod.Re | Mod.Cidr | Mod.Numeric | Mod.Exists | Mod.Time)) != 0 && (mods & Mod.Strings) != 0)
        {
            throw ctx.Fail(keyNode, $"string modifiers do not apply with '{string.Join('|', parts[1..])}'");
        }

        return mods;
    }

    private static List<YamlNode> Values(SigmaRuleContext ctx, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode:
                return [node];
            case YamlSequenceNode { Children.Count: > 0 } list:
                foreach (var item in list.Children)
                {
                    if (item is not YamlScalarNode)
                    {
                        throw ctx.Fail(item, "field values must be strings, numbers or null");
                    }
                }

                return [.. list.Children];
            case YamlSequenceNode:
                throw ctx.Fail(node, "empty value list");
            default:
                throw ctx.Fail(node, "field values must be strings, numbers or null (not a mapping)");
        }
    }

    /// <summary>YAML null: plain <c>null</c>, <c>~</c> or nothing. Quoted <c>''</c> is the empty string.</summary>
    private static bool IsNull(YamlNode node)
        => node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "null" or "Null" or "NULL" or "~" };

    private static int PopCount(Mod mods) => System.Numerics.BitOperations.PopCount((uint)mods);
}
