//! Copying and downloading a whole value, which the page only shows shortened.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, Failure};

fn browser(error: JsValue) -> Failure {
    Failure(format!(
        "The browser refused: {}",
        error.as_string().unwrap_or_else(|| format!("{error:?}"))
    ))
}

/// Puts the whole decimal value on the clipboard.
pub async fn copy(index: u64) -> Result<(), Failure> {
    let value = api::whole_value(index).await?;
    let window = web_sys::window().ok_or_else(|| Failure("No browser window.".to_owned()))?;
    JsFuture::from(window.navigator().clipboard().write_text(&value))
        .await
        .map_err(browser)?;
    Ok(())
}

/// Saves the whole decimal value as `fibonacci-<index>.txt`.
pub async fn download(index: u64) -> Result<(), Failure> {
    let value = api::whole_value(index).await?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&value));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(browser)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(browser)?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| Failure("No browser document.".to_owned()))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(browser)?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(&format!("fibonacci-{index}.txt"));
    link.click();
    web_sys::Url::revoke_object_url(&url).map_err(browser)?;
    Ok(())
}
