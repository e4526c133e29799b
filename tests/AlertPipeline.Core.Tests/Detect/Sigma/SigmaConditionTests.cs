using AlertPipeline.Core.Events;
using static AlertPipeline.Core.Tests.Detect.Sigma.SigmaTestRules;

namespace AlertPipeline.Core.Tests.Detect.Sigma;

/// <summary>Condition forms and precedence, over three selections a, b, c that test one field each.</summary>
public sealed class SigmaConditionTests
{
    private const string Selections = """
          sel_a:
            tool.name: a
          sel_b:
            tool.call_id: b
          filter_c:
            tool.input: c
          _hidden:
            user.name: h
        """;

    private static CompiledRuleProbe Rule(string condition)
        => new(Compile(Selections + "\n  condition: " + condition));

    /// <summary>Evaluates the rule over all eight combinations of a, b and c.</summary>
    private sealed class CompiledRuleProbe(AlertPipeline.Core.Detect.CompiledRule rule)
    {
        public bool this[bool a, bool b, bool c]
        {
            get
            {
                var fields = new List<(EcsField, string)>();
                fields.Add((EcsField.ToolName, a ? "a" : "x"));
                fields.Add((EcsField.ToolCallId, b ? "b" : "x"));
                fields.Add((EcsField.ToolInput, c ? "c" : "x"));
                return rule.Matches([.. fields]);
            }
        }

        public void AssertTruthTable(Func<bool, bool, bool, bool> expected)
        {
            foreach (var a in new[] { false, true })
            {
                foreach (var b in new[] { false, true })
                {
                    foreach (var c in new[] { false, true })
                    {
                        Assert.True(expected(a, b, c) == this[a, b, c], $"a={a} b={b} c={c}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("sel_a")]
    [InlineData("sel_a and sel_b")]
    [InlineData("sel_a or sel_b")]
    [InlineData("not sel_a")]
    [InlineData("sel_a or sel_b and filter_c")]
    [InlineData("(sel_a or sel_b) and filter_c")]
    [InlineData("not sel_a and sel_b")]
    [InlineData("not (sel_a and sel_b)")]
    [InlineData("sel_a and not sel_b or filter_c")]
    [InlineData("not not sel_a")]
    [InlineData("1 of sel_*")]
    [InlineData("any of sel_*")]
    [InlineData("all of sel_*")]
    [InlineData("1 of them")]
    [InlineData("all of them")]
    [InlineData("1 of sel_* and not 1 of filter_*")]
    [InlineData("all of sel_* or filter_c")]
    public void Condition_forms_and_precedence(string condition)
    {
        Func<bool, bool, bool, bool> expected = condition switch
        {
            "sel_a" => (a, _, _) => a,
            "sel_a and sel_b" => (a, b, _) => a && b,
            "sel_a or sel_b" => (a, b, _) => a || b,
            "not sel_a" => (a, _, _) => !a,
            "sel_a or sel_b and filter_c" => (a, b, c) => a || (b && c),
            "(sel_a or sel_b) and filter_c" => (a, b, c) => (a || b) && c,
            "not sel_a and sel_b" => (a, b, _) => !a && b,
            "not (sel_a and sel_b)" => (a, b, _) => !(a && b),
            "sel_a and not sel_b or filter_c" => (a, b, c) => (a && !b) || c,
            "not not sel_a" => (a, _, _) => a,
            "1 of sel_*" or "any of sel_*" => (a, b, _) => a || b,
            "all of sel_*" => (a, b, _) => a && b,
            // _hidden is excluded from 'them'; the events never carry user.name=h.
            "1 of them" => (a, b, c) => a || b || c,
            "all of them" => (a, b, c) => a && b && c,
            "1 of sel_* and not 1 of filter_*" => (a, b, c) => (a || b) && !c,
            "all of sel_* or filter_c" => (a, b, c) => (a && b) || c,
            _ => throw new InvalidOperationException(condition),
        };

        Rule(condition).AssertTruthTable(expected);
    }

    [Fact]
    public void Operators_are_case_insensitive_but_selection_names_are_not()
    {
        new CompiledRuleProbe(Compile(Selections + "\n  condition: NOT sel_a AND sel_b")).AssertTruthTable((a, b, _) => !a && b);
        Assert.Equal("unknown selection 'SEL_A'", Error(Yaml(Selections + "\n  condition: SEL_A")).Problem);
    }

    [Fact]
    public void Condition_list_is_or_of_conditions()
    {
        var rule = new CompiledRuleProbe(Compile(Selections + "\n  condition:\n    - sel_a and sel_b\n    - filter_c"));
        rule.AssertTruthTable((a, b, c) => (a && b) || c);
    }

    [Fact]
    public void Them_leaves_out_underscore_selections()
    {
        var rule = Compile(Selections + "\n  condition: 1 of them");
        Assert.False(rule.Matches((EcsField.UserName, "h")));
        var hidden = Compile(Selections + "\n  condition: 1 of _hid*");
        Assert.True(hidden.Matches((EcsField.UserName, "h")));
    }

    [Theory]
    [InlineData("sel_a | count() > 5", "aggregation expressions are deprecated; use correlation rules", 20)]
    [InlineData("sel_a and nope", "unknown selection 'nope'", 24)]
    [InlineData("1 of nothing_*", "no selection matches 'nothing_*'", 19)]
    [InlineData("(sel_a or sel_b", "expected ')' but found 'end of condition'", 29)]
    [InlineData("sel_a sel_b", "unexpected 'sel_b' in condition", 20)]
    [InlineData("sel_*", "wildcard 'sel_*' is only allowed after '1 of' or 'all of'", 14)]
    [InlineData("2 of sel_*", "'2 of' is not supported; use '1 of' or 'all of'", 14)]
    public void Condition_errors_point_at_the_token(string condition, string problem, int column)
    {
        var yaml = Yaml(Selections + "\n  condition: " + condition);
        var error = Error(yaml);
        Assert.Equal(problem, error.Problem);
        Assert.Equal(14, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Equal(Id, error.RuleId);
    }
}
