/*
 * The browser half of "Security key or biometrics": runs the WebAuthn ceremony for every
 * form[data-webauthn] on the page (partials/webauthn-register.hbs, webauthn-authenticate.hbs)
 * and posts the result as JSON in the form's hidden `credential` field.
 *
 * Served from our origin at /assets/webauthn.js, after /assets/simplewebauthn-browser.js
 * (the package's UMD bundle, global SimpleWebAuthnBrowser), because the CSP allows no
 * inline script. The options come from the form's data-webauthn-options attribute, which
 * the server wrote HTML-escaped: an attribute, not a script block, so no escaping mistake can
 * turn them into markup. The page's texts stay in the partials (data-msg-* attributes).
 */
(function () {
  'use strict';

  var lib = window.SimpleWebAuthnBrowser;

  function show(form, key) {
    var box = form.querySelector('[data-webauthn-error]');
    if (!box) return;
    box.textContent = box.getAttribute('data-msg-' + key) || box.getAttribute('data-msg-failed') || '';
    box.hidden = false;
  }

  function hide(form) {
    var box = form.querySelector('[data-webauthn-error]');
    if (box) box.hidden = true;
  }

  /** A browser error as one of the partial's messages. */
  function messageKey(error) {
    var code = error && error.code;
    var name = error && error.name;
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return 'registered';
    if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') return 'cancelled';
    return 'failed';
  }

  function submitWith(form, credential) {
    form.querySelector('input[name="credential"]').value = JSON.stringify(credential);
    // submit() does not fire the submit event again, so the ceremony does not restart.
    form.submit();
  }

  function ceremony(form, options, useBrowserAutofill) {
    if (form.getAttribute('data-webauthn') === 'register') {
      return lib.startRegistration({ optionsJSON: options });
    }
    return lib.startAuthentication({ optionsJSON: options, useBrowserAutofill: useBrowserAutofill });
  }

  function setUp(form) {
    if (form.getAttribute('data-webauthn-ready')) return;
    form.setAttribute('data-webauthn-ready', '1');
    var button = form.querySelector('button[type="submit"]');
    var options;
    try {
      options = JSON.parse(form.getAttribute('data-webauthn-options') || '');
    } catch (e) {
      options = null;
    }
    if (!lib || !options || !lib.browserSupportsWebAuthn()) {
      show(form, 'unsupported');
      return;
    }
    var busy = false;
    if (button) button.disabled = false;

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      hide(form);
      if (button) button.setAttribute('aria-busy', 'true');
      // Starting a modal ceremony aborts a pending autofill one (the library allows one at a time).
      ceremony(form, options, false).then(
        function (credential) {
          submitWith(form, credential);
        },
        function (error) {
          busy = false;
          if (button) button.removeAttribute('aria-busy');
          show(form, messageKey(error));
        },
      );
    });

    // Passkey sign-in: offer the passkeys in the username field's autofill where the browser can.
    if (form.getAttribute('data-webauthn') === 'passkey' && document.querySelector('input[autocomplete$="webauthn"]')) {
      var pkc = window.PublicKeyCredential;
      if (pkc && typeof pkc.isConditionalMediationAvailable === 'function') {
        pkc.isConditionalMediationAvailable().then(
          function (available) {
            if (!available) return;
            ceremony(form, options, true).then(
              function (credential) {
                submitWith(form, credential);
              },
              // Aborted by the button's modal ceremony, or dismissed: the button still works, so say nothing.
              function () {},
            );
          },
          function () {},
        );
      }
    }
  }

  function start() {
    var forms = document.querySelectorAll('form[data-webauthn]');
    for (var i = 0; i < forms.length; i++) setUp(forms[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
