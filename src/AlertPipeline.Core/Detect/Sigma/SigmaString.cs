using System.Text;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// A Sigma string value after escape processing: literal text and <c>*</c>/<c>?</c> wildcards as separate pieces,
/// so modifiers (windash, base64, contains…) work on text without confusing escaped and real wildcards.
/// </summary>
internal sealed class SigmaString
{
    internal enum PieceKind
    {
        Text,
        Star,
        Question,
    }

    internal readonly record struct Piece(PieceKind Kind, string Text);

    private SigmaString(List<Piece> pieces) => Pieces = pieces;

    public IReadOnlyList<Piece> Pieces { get; }

    /// <summary>True if the value holds a wildcard.</summary>
    public bool HasWildcards
    {
        get
        {
            foreach (var p in Pieces)
            {
                if (p.Kind != PieceKind.Text)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The text of a wildcard-free value.</summary>
    public string Literal
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var p in Pieces)
            {
                sb.Append(p.Text);
            }

            return sb.ToString();
        }
    }

    /// <summary>
    /// Parses a rule value: <c>*</c> and <c>?</c> are wildcards; <c>\*</c>, <c>\?</c> and <c>\\</c> are the plain
    /// characters; a backslash before anything else is a plain backslash (the Sigma escaping rules).
    /// </summary>
    public static SigmaString Parse(string raw)
    {
        var builder = new Builder();
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\' && i + 1 < raw.Length && raw[i + 1] is '*' or '?' or '\\')
            {
                builder.Append(raw[i + 1]);
                i++;
            }
            else if (c == '*')
            {
                builder.Wildcard(PieceKind.Star);
            }
            else if (c == '?')
            {
                builder.Wildcard(PieceKind.Question);
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Build();
    }

    /// <summary>A value that is plain text, whatever it contains (for encoded values).</summary>
    public static SigmaString FromLiteral(string text)
    {
        var builder = new Builder();
        builder.Append(text);
        return builder.Build();
    }

    /// <summary>This value with a star in front and/or behind (contains, startswith, endswith).</summary>
    public SigmaString Wrap(bool leadingStar, bool trailingStar)
    {
        var pieces = new List<Piece>(Pieces.Count + 2);
        if (leadingStar && (Pieces.Count == 0 || Pieces[0].Kind != PieceKind.Star))
        {
            pieces.Add(new Piece(PieceKind.Star, ""));
        }

        pieces.AddRange(Pieces);
        if (trailingStar && (pieces.Count == 0 || pieces[^1].Kind != PieceKind.Star))
        {
            pieces.Add(new Piece(PieceKind.Star, ""));
        }

        return new SigmaString(pieces);
    }

    /// <summary>
    /// <c>|windash</c>: every dash or slash that starts a command-line flag (after start or a non-word character,
    /// before a word character) in all of its spellings: <c>-</c>, <c>/</c>, en dash, em dash, horizontal bar.
    /// </summary>
    public List<SigmaString> WindashVariants(int limit)
    {
        ReadOnlySpan<char> dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
        var spots = new List<(int Piece, int Char)>();
        for (var p = 0; p < Pieces.Count; p++)
        {
            var text = Pieces[p].Text;
            for (var c = 0; c < text.Length; c++)
            {
                if (dashes.IndexOf(text[c]) < 0)
                {
                    continue;
                }

                var before = c > 0 ? text[c - 1] : (p > 0 && Pieces[p - 1].Kind == PieceKind.Text ? LastChar(Pieces[p - 1].Text) : ' ');
                var after = c + 1 < text.Length ? text[c + 1] : '\0';
                if (!IsWordChar(before) && IsWordChar(after))
                {
                    spots.Add((p, c));
                }
            }
        }

        var variants = new List<SigmaString>();
        var total = 1;
        foreach (var _ in spots)
        {
            total *= dashes.Length;
            if (total > limit)
            {
                return [];
            }
        }

        for (var n = 0; n < total; n++)
        {
            var texts = new char[Pieces.Count][];
            for (var p = 0; p < Pieces.Count; p++)
            {
                texts[p] = Pieces[p].Text.ToCharArray();
            }

            var k = n;
            foreach (var (piece, ch) in spots)
            {
                texts[piece][ch] = dashes[k % dashes.Length];
                k /= dashes.Length;
            }

            var pieces = new List<Piece>(Pieces.Count);
            for (var p = 0; p < Pieces.Count; p++)
            {
                pieces.Add(Pieces[p] with { Text = new string(texts[p]) });
            }

            variants.Add(new SigmaString(pieces));
        }

        return variants;
    }

    private static char LastChar(string s) => s.Length == 0 ? ' ' : s[^1];

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    private sealed class Builder
    {
        private readonly List<Piece> _pieces = [];
        private readonly StringBuilder _text = new();

        public void Append(char c) => _text.Append(c);

        public void Append(string s) => _text.Append(s);

        public void Wildcard(PieceKind kind)
        {
            FlushText();
            // Adjacent stars mean one star.
            if (kind == PieceKind.Star && _pieces.Count > 0 && _pieces[^1].Kind == PieceKind.Star)
            {
                return;
            }

            _pieces.Add(new Piece(kind, ""));
        }

        public SigmaString Build()
        {
            FlushText();
            return new SigmaString(_pieces);
        }

        private void FlushText()
        {
            if (_text.Length > 0)
            {
                _pieces.Add(new Piece(PieceKind.Text, _text.ToString()));
                _text.Clear();
            }
        }
    }
}
