using System.Globalization;
using AlertPipeline.Core.Detect.Correlation;
using YamlDotNet.RepresentationModel;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// Reads the <c>correlation</c> section of a Sigma correlation rule into a <see cref="CorrelationDefinition"/>,
/// checking everything that can be checked without the referenced rules (which are other rows).
/// </summary>
internal static class SigmaCorrelationCompiler
{
    private static readonly string[] MetricTypes = ["value_sum", "value_avg", "value_percentile"];

    public static CorrelationDefinition Compile(SigmaRuleContext ctx, YamlMappingNode root, YamlNode node)
    {
        if (node is not YamlMappingNode correlation)
        {
            throw ctx.Fail(node, "correlation must be a mapping with type, rules, group-by, timespan and condition");
        }

        if (SigmaRuleCompiler.Child(root, "detection") is { } detection)
        {
            throw ctx.Fail(detection, "a correlation rule has no detection section; it refers to other rules through correlation.rules");
        }

        var typeNode = Required(ctx, correlation, "type");
        var typeText = (typeNode as YamlScalarNode)?.Value;
        var type = typeText switch
        {
            "event_count" => CorrelationType.EventCount,
            "value_count" => CorrelationType.ValueCount,
            "temporal" => CorrelationType.Temporal,
            "temporal_ordered" => CorrelationType.TemporalOrdered,
            _ when MetricTypes.Contains(typeText) => throw ctx.Fail(typeNode, $"correlation type '{typeText}' is not supported (event_count, value_count, temporal and temporal_ordered are)"),
            _ => throw ctx.Fail(typeNode, $"unknown correlation type '{typeText}'; expected event_count, value_count, temporal or temporal_ordered"),
        };

        var rulesNode = Required(ctx, correlation, "rules");
        var rules = Strings(ctx, rulesNode, "correlation.rules");
        if (rules.Count == 0)
        {
            throw ctx.Fail(rulesNode, "correlation.rules must name at least one rule");
        }

        if (rules.Distinct(StringComparer.Ordinal).Count() != rules.Count)
        {
            throw ctx.Fail(rulesNode, "correlation.rules names a rule twice");
        }

        if (type is CorrelationType.Temporal or CorrelationType.TemporalOrdered && rules.Count < 2)
        {
            throw ctx.Fail(rulesNode, $"a {typeText} correlation needs at least two rules");
        }

        var groupBy = SigmaRuleCompiler.Child(correlation, "group-by") is { } groupNode ? Strings(ctx, groupNode, "correlation.group-by") : [];
        var timespanNode = Required(ctx, correlation, "timespan");
        var timespan = ParseTimespan(ctx, timespanNode);
        var aliases = ReadAliases(ctx, correlation);
        foreach (var alias in aliases.Keys)
        {
            if (!groupBy.Contains(alias, StringComparer.Ordinal))
            {
                throw ctx.Fail(SigmaRuleCompiler.Child(correlation, "aliases")!, $"alias '{alias}' is not used in group-by");
            }
        }

        var (condition, valueField) = ReadCondition(ctx, correlation, type, rules.Count);
        var generate = ReadGenerate(ctx, root) || ReadGenerate(ctx, correlation);
        return new CorrelationDefinition(type, rules, groupBy, timespan, condition, valueField, aliases, generate);
    }

    /// <summary>Parses a Sigma timespan: a positive integer and one of <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>.</summary>
    public static bool TryParseTimespan(string? text, out TimeSpan timespan)
    {
        timespan = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2
            || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        // Bounded so the tick arithmetic of the windows cannot overflow; a year is far beyond any useful window.
        TimeSpan? parsed = text[^1] switch
        {
            's' when amount <= 31_536_000 => TimeSpan.FromSeconds(amount),
            'm' when amount <= 525_600 => TimeSpan.FromMinutes(amount),
            'h' when amount <= 8_760 => TimeSpan.FromHours(amount),
            'd' when amount <= 365 => TimeSpan.FromDays(amount),
            _ => null,
        };
        timespan = parsed ?? default;
        return parsed is not null;
    }

    private static TimeSpan ParseTimespan(SigmaRuleContext ctx, YamlNode node)
    {
        var text = (node as YamlScalarNode)?.Value;
        return TryParseTimespan(text, out var timespan)
            ? timespan
            : throw ctx.Fail(node, $"bad timespan '{text}'; expected a number and s, m, h or d (up to a year), e.g. 90m");
    }

    private static (CorrelationCondition Condition, string? ValueField) ReadCondition(SigmaRuleContext ctx, YamlMappingNode correlation, CorrelationType type, int ruleCount)
    {
        var node = SigmaRuleCompiler.Child(correlation, "condition");
        if (node is null)
        {
            if (type is CorrelationType.EventCount or CorrelationType.ValueCount)
            {
                throw ctx.Fail(correlation, "missing correlation.condition");
            }

            // temporal: every referenced rule must have matched.
            return (new CorrelationCondition(ruleCount, null, null), null);
        }

        if (node is not YamlMappingNode map || map.Children.Count == 0)
        {
            throw ctx.Fail(node, "correlation.condition must be a mapping such as {gte: 10} or {gt: 100, lte: 200}");
        }

        long? min = null, max = null, excluded = null;
        string? field = null;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            if (key == "field")
            {
                field = string.Join('\u001f', Strings(ctx, valueNode, "condition.field"));
                continue;
            }

            if (valueNode is not YamlScalarNode scalar || !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                throw ctx.Fail(valueNode, $"condition.{key} must be an integer");
            }

            switch (key)
            {
                case "gt": min = Max(min, value + 1); break;
                case "gte": min = Max(min, value); break;
                case "lt": max = Min(max, value - 1); break;
                case "lte": max = Min(max, value); break;
                case "eq": min = Max(min, value); max = Min(max, value); break;
                case "neq": excluded = value; break;
                default: throw ctx.Fail(keyNode, $"unknown condition operator '{key}'; expected gt, gte, lt, lte, eq, neq (and field for value_count)");
            }
        }

        if (type == CorrelationType.ValueCount && string.IsNullOrEmpty(field))
        {
            throw ctx.Fail(node, "a value_count correlation needs condition.field: the field whose distinct values are counted");
        }

        if (type != CorrelationType.ValueCount && field is not null)
        {
            throw ctx.Fail(node, "condition.field applies to value_count correlations only");
        }

        if (min is null && max is null && excluded is null)
        {
            throw ctx.Fail(node, "correlation.condition needs one of gt, gte, lt, lte, eq or neq");
        }

        if (min is { } lo && max is { } hi && lo > hi)
        {
            throw ctx.Fail(node, $"correlation.condition can never hold (at least {lo} and at most {hi})");
        }

        return (new CorrelationCondition(min, max, excluded), field);

        static long Max(long? a, long b) => a is { } x ? Math.Max(x, b) : b;
        static long Min(long? a, long b) => a is { } x ? Math.Min(x, b) : b;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>> ReadAliases(SigmaRuleContext ctx, YamlMappingNode correlation)
    {
        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        switch (SigmaRuleCompiler.Child(correlation, "aliases"))
        {
            case null:
                return aliases;
            case YamlMappingNode map:
                foreach (var (aliasNode, perRuleNode) in map.Children)
                {
                    var alias = (aliasNode as YamlScalarNode)?.Value;
                    if (string.IsNullOrEmpty(alias) || perRuleNode is not YamlMappingNode perRule)
                    {
                        throw ctx.Fail(aliasNode, "each alias maps rule names to field names: alias: {rule_name: field}");
                    }

                    var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (ruleNode, fieldNode) in perRule.Children)
                    {
                        if (ruleNode is not YamlScalarNode { Value: { Length: > 0 } rule } || fieldNode is not YamlScalarNode { Value: { Length: > 0 } field })
                        {
                            throw ctx.Fail(ruleNode, $"alias '{alias}' must map rule names to field names");
                        }

                        fields[rule] = field;
                    }

                    aliases[alias] = fields;
                }

                return aliases;
            case var other:
                throw ctx.Fail(other, "correlation.aliases must be a mapping");
        }
    }

    private static bool ReadGenerate(SigmaRuleContext ctx, YamlMappingNode map)
    {
        if (SigmaRuleCompiler.Child(map, "generate") is not { } node)
        {
            return false;
        }

        return node is YamlScalarNode scalar && bool.TryParse(scalar.Value, out var generate)
            ? generate
            : throw ctx.Fail(node, "generate must be true or false");
    }

    private static YamlNode Required(SigmaRuleContext ctx, YamlMappingNode map, string key)
        => SigmaRuleCompiler.Child(map, key) ?? throw ctx.Fail(map, $"missing correlation.{key}");

    private static List<string> Strings(SigmaRuleContext ctx, YamlNode node, string what)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { Length: > 0 } value }:
                return [value];
            case YamlSequenceNode sequence:
                var list = new List<string>(sequence.Children.Count);
                foreach (var item in sequence.Children)
                {
                    list.Add(item is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw ctx.Fail(item, $"{what} must be a list of names"));
                }

                return list;
            default:
                throw ctx.Fail(node, $"{what} must be a name or a list of names");
        }
    }
}
