using System;

namespace Catalog.Licensing
{
    /// <summary>RFC 4648 §5 without padding, as JOSE writes it (netstandard2.0 has no Base64Url type).</summary>
    internal static class Base64Url
    {
        public static string Encode(byte[] bytes) =>
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        /// <summary>The bytes, or null when the text is not base64url.</summary>
        public static byte[]? TryDecode(string text)
        {
            if (text.Length == 0) return Array.Empty<byte>();
            if (text.IndexOfAny(new[] { '+', '/', '=' }) >= 0) return null;
            var base64 = text.Replace('-', '+').Replace('_', '/');
            switch (base64.Length % 4)
            {
                case 2: base64 += "=="; break;
                case 3: base64 += "="; break;
                case 1: return null;
            }
            try { return Convert.FromBase64String(base64); }
            catch (FormatException) { return null; }
        }
    }
}
