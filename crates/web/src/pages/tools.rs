//! The tools page with the bookmarklet.

use super::html;
use crate::auth::session::PageContext;
use crate::errors::PageError;
use crate::state::AppState;
use crate::views::Chrome;
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tools", web::get().to(show));
}

#[derive(Template)]
#[template(path = "tools.html")]
struct ToolsPage {
    chrome: Chrome,
    bookmarklet: String,
}

/// The bookmarklet: opens `/save` prefilled in a small window; if the browser blocks the
/// window, goes there in the same tab with `back=1` so the save returns to the page.
pub fn bookmarklet(base_url: &str) -> String {
    format!(
        "javascript:(function(){{var d=document,w=window,e=encodeURIComponent,\
s=String(w.getSelection?w.getSelection():'').slice(0,5000),\
q='url='+e(location.href)+'&title='+e(d.title)+'&notes='+e(s),\
b='{base_url}/save?'+q,\
p=w.open(b+'&popup=1','commonplace_save','width=640,height=720,resizable=yes,scrollbars=yes');\
if(p){{p.focus()}}else{{location.href=b+'&back=1'}}}})();"
    )
}

async fn show(state: web::Data<AppState>, page: PageContext) -> Result<HttpResponse, PageError> {
    let body = ToolsPage {
        chrome: Chrome::new(&state, &page),
        bookmarklet: bookmarklet(&state.settings.base_url()),
    }
    .render()?;
    Ok(html(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmarklet_opens_the_save_page_of_this_instance() {
        let code = bookmarklet("https://bm.example");
        assert!(code.starts_with("javascript:(function(){"));
        assert!(code.contains("'https://bm.example/save?'"));
        assert!(code.contains("popup=1") && code.contains("back=1"));
        assert!(code.ends_with("})();"));
    }
}
