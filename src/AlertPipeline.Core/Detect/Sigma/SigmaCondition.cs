namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// Tokenizer and recursive-descent parser for a Sigma <c>condition</c>. Precedence, loosest first: <c>or</c>,
/// <c>and</c>, <c>not</c>, <c>x of …</c>, parentheses. Builds the matcher tree directly from the compiled selections.
/// </summary>
internal sealed class SigmaCondition
{
    private enum Kind
    {
        Identifier,
        And,
        Or,
        Not,
        Of,
        One,
        All,
        Them,
        Open,
        Close,
        Pipe,
        End,
    }

    private readonly record struct Token(Kind Kind, string Text, int Offset);

    /// <summary>Raised with the offset (0-based, in the condition text) where parsing failed.</summary>
    internal sealed class ParseError(int offset, string message) : Exception(message)
    {
        public int Offset { get; } = offset;
    }

    private readonly List<Token> _tokens;
    private readonly IReadOnlyList<KeyValuePair<string, EventMatcher>> _selections;
    private int _pos;

    private SigmaCondition(List<Token> tokens, IReadOnlyList<KeyValuePair<string, EventMatcher>> selections)
    {
        _tokens = tokens;
        _selections = selections;
    }

    /// <summary>Parses <paramref name="text"/> over the named selections (in rule order); throws <see cref="ParseError"/>.</summary>
    public static EventMatcher Parse(string text, IReadOnlyList<KeyValuePair<string, EventMatcher>> selections)
    {
        var parser = new SigmaCondition(Tokenize(text), selections);
        var result = parser.ParseOr();
        var next = parser.Peek();
        if (next.Kind == Kind.Pipe)
        {
            throw new ParseError(next.Offset, "aggregation expressions are deprecated; use correlation rules");
        }

        if (next.Kind != Kind.End)
        {
            throw new ParseError(next.Offset, $"unexpected '{next.Text}' in condition");
        }

        return result;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new Token(Kind.Open, "(", i++));
                    continue;
                case ')':
                    tokens.Add(new Token(Kind.Close, ")", i++));
                    continue;
                case '|':
                    tokens.Add(new Token(Kind.Pipe, "|", i++));
                    continue;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not '|')
            {
                i++;
            }

            var word = text[start..i];
            var kind = word.ToLowerInvariant() switch
            {
                "and" => Kind.And,
                "or" => Kind.Or,
                "not" => Kind.Not,
                "of" => Kind.Of,
                "1" or "any" => Kind.One,
                "all" => Kind.All,
                "them" => Kind.Them,
                _ => Kind.Identifier,
            };
            tokens.Add(new Token(kind, word, start));
        }

        tokens.Add(new Token(Kind.End, "end of condition", text.Length));
        return tokens;
    }

    private Token Peek() => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private EventMatcher ParseOr()
    {
        var first = ParseAnd();
        if (Peek().Kind != Kind.Or)
        {
            return first;
        }

        var items = new List<EventMatcher>();
        AddFlat<OrMatcher>(items, first);
        while (Peek().Kind == Kind.Or)
        {
            Next();
            AddFlat<OrMatcher>(items, ParseAnd());
        }

        return new OrMatcher([.. items]);
    }

    private EventMatcher ParseAnd()
    {
        var first = ParseNot();
        if (Peek().Kind != Kind.And)
        {
            return first;
        }

        var items = new List<EventMatcher>();
        AddFlat<AndMatcher>(items, first);
        while (Peek().Kind == Kind.And)
        {
            Next();
            AddFlat<AndMatcher>(items, ParseNot());
        }

        return new AndMatcher([.. items]);
    }

    private EventMatcher ParseNot()
    {
        if (Peek().Kind == Kind.Not)
        {
            Next();
            return new NotMatcher(ParseNot());
        }

        return ParsePrimary();
    }

    private EventMatcher ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case Kind.Open:
            {
                var inner = ParseOr();
                var close = Next();
                if (close.Kind != Kind.Close)
                {
                    throw new ParseError(close.Offset, $"expected ')' but found '{close.Text}'");
                }

                return inner;
            }

            case Kind.One:
            case Kind.All:
            {
                var of = Next();
                if (of.Kind != Kind.Of)
                {
                    throw new ParseError(of.Offset, $"expected 'of' after '{token.Text}' but found '{of.Text}'");
                }

                var target = Next();
                var matched = target.Kind switch
                {
                    Kind.Them => Select(null, target),
                    Kind.Identifier => Select(target.Text, target),
                    _ => throw new ParseError(target.Offset, $"expected a selection pattern or 'them' but found '{target.Text}'"),
                };
                if (matched.Count == 1)
                {
                    return matched[0];
                }

                return token.Kind == Kind.All ? new AndMatcher([.. matched]) : new OrMatcher([.. matched]);
            }

            case Kind.Identifier:
            {
                if (token.Text.Contains('*', StringComparison.Ordinal))
                {
                    throw new ParseError(token.Offset, $"wildcard '{token.Text}' is only allowed after '1 of' or 'all of'");
                }

                foreach (var pair in _selections)
                {
                    if (pair.Key == token.Text)
                    {
                        return pair.Value;
                    }
                }

                if (int.TryParse(token.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    throw new ParseError(token.Offset, $"'{token.Text} of' is not supported; use '1 of' or 'all of'");
                }

                throw new ParseError(token.Offset, $"unknown selection '{token.Text}'");
            }

            case Kind.Pipe:
                throw new ParseError(token.Offset, "aggregation expressions are deprecated; use correlation rules");
            default:
                throw new ParseError(token.Offset, $"unexpected '{token.Text}' in condition");
        }
    }

    /// <summary>Selections named by a <c>*</c> pattern, or all not starting with <c>_</c> for <c>them</c>.</summary>
    private List<EventMatcher> Select(string? pattern, Token at)
    {
        var matched = new List<EventMatcher>();
        foreach (var pair in _selections)
        {
            var hit = pattern is null ? !pair.Key.StartsWith('_') : new WildcardTest(SigmaString.Parse(pattern), cased: true).Test(pair.Key);
            if (hit)
            {
                matched.Add(pair.Value);
            }
        }

        if (matched.Count == 0)
        {
            throw new ParseError(at.Offset, pattern is null ? "'them' names no selection" : $"no selection matches '{pattern}'");
        }

        return matched;
    }

    private static void AddFlat<T>(List<EventMatcher> items, EventMatcher matcher)
        where T : EventMatcher
    {
        // (a or b) or c evaluates as one flat loop.
        switch (matcher)
        {
            case OrMatcher orMatcher when typeof(T) == typeof(OrMatcher):
                items.AddRange(orMatcher.Children);
                break;
            case AndMatcher andMatcher when typeof(T) == typeof(AndMatcher):
                items.AddRange(andMatcher.Children);
                break;
            default:
                items.Add(matcher);
                break;
        }
    }
}
