#if !NET
// What C# 9+ needs for records and init-only setters on netstandard2.0, where the runtime lacks it.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
#endif
