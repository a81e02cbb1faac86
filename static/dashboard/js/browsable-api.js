// DRF's browsable API: its base template writes <html> without a language, and has no block to
// add one, so screen readers would guess. The page names its language in a meta element.
const lang = document.querySelector('meta[name="koban-language"]')?.content;
if (lang) document.documentElement.lang = lang;
